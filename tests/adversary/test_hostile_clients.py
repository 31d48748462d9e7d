"""Hostile clients (issue 14): a stranger tries to lock voters out, crash a worker or leak data.

Each test names the attacker and what they can do, and fails on the code
before its defence (docs/threat-model.md, "Hostile clients").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_keeps_the_default_recursion_limit() -> None:
    """Stranger, any HTTP client: a deeply nested body must raise, not overflow the C stack.

    py_ecc raises the limit to 100,000 at import; crypto.witness puts it back.
    """
    code = (
        "import sys; d = sys.getrecursionlimit(); import crypto.witness;"
        " from voting.app import create_app;"
        " create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'});"
        " print(d, sys.getrecursionlimit())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    default, after = out.stdout.split()
    assert after == default
