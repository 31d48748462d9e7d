"""gunicorn as production runs it (gunicorn.conf.py), started and killed by the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """A gunicorn master and its workers in their own process group."""

    def __init__(self, database_url: str, instance: Path, workers: int) -> None:
        self.database_url = database_url
        self.instance = instance
        self.workers = workers
        self.access_log = instance / "access.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        """Start and wait until every worker answers; returns the base URL."""
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "URNA_INSTANCE": str(self.instance),
            "URNA_BIND": f"127.0.0.1:{port}",
            "URNA_WORKERS": str(self.workers),
            "URNA_ACCESS_LOG": str(self.access_log),
            "URNA_LOG_LEVEL": "warning",
        }
        env.pop("URNA_TEST_DATABASE_URL", None)
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        with open(self.instance / "gunicorn.err", "ab") as err:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=err, stderr=err, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{port}"
        self._wait_until_up()
        return self.url

    def _wait_until_up(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.errors()}")
            try:
                requests.get(f"{self.url}/api/logs/none/key", timeout=5)
            except requests.RequestException:  # not yet listening, or no worker ready
                time.sleep(0.1)
                continue
            if len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not start within {START_SECONDS} s: {self.errors()}")

    def errors(self) -> str:
        path = self.instance / "gunicorn.err"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc."""
        assert self.process is not None
        master = self.process.pid
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == master:  # field 4 of /proc/PID/stat: the parent
                children.append(int(entry.name))
        return children

    def kill(self) -> list[int]:
        """SIGKILL the master and every worker at once; returns the pids killed."""
        assert self.process is not None
        pids = [self.process.pid, *self.worker_pids()]
        os.killpg(self.process.pid, signal.SIGKILL)  # our own process group
        self.process.wait(timeout=30)
        self._wait_gone(pids)
        return pids

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), or a kill if it does not end."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    @staticmethod
    def _wait_gone(pids: list[int]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alive = [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]
            if not alive:
                return
            time.sleep(0.05)
        raise RuntimeError(f"processes {alive} survived SIGKILL")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
