"""The Go checker, built once per test session from tests/interop/go with Debian's Go.

The build uses GOPATH mode on Debian's ``golang-golang-x-mod-dev``
(``/usr/share/gocode``), with modules, the module proxy and GOFLAGS off, so it
needs no network. Without Go the tests fail (they are part of the suite):
``apt-get install -y golang-go golang-golang-x-mod-dev``, as ``.ci/run`` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GO_SOURCE = Path(__file__).parent / "go" / "urnacheck" / "main.go"
GOCODE = Path("/usr/share/gocode")
INSTALL = "apt-get install -y golang-go golang-golang-x-mod-dev (.ci/run does)"


def go_environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GO111MODULE="off",
        GOPATH=str(GOCODE),
        GOPROXY="off",
        GOFLAGS="",
        GOCACHE=str(scratch / "gocache"),
        HOME=str(scratch),
    )
    return env


@pytest.fixture(scope="session")
def urnacheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built ``urnacheck`` binary (tests/interop/go/urnacheck/main.go)."""
    go = shutil.which("go")
    if go is None:
        pytest.fail(f"the interop tests need Go: {INSTALL}")
    if not (GOCODE / "src/golang.org/x/mod/sumdb/note").is_dir():
        pytest.fail(f"the interop tests need golang.org/x/mod from Debian: {INSTALL}")
    scratch = tmp_path_factory.mktemp("go")
    binary = scratch / "urnacheck"
    built = subprocess.run(
        [go, "build", "-o", str(binary), str(GO_SOURCE)],
        env=go_environment(scratch),
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0:
        pytest.fail(f"building {GO_SOURCE} failed:\n{built.stderr}")
    return binary
