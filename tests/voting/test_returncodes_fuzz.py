"""schemathesis against docs/openapi-returncodes.yaml: a live authority answers every
generated request calmly (a documented 4xx with a JSON error, never a 5xx) and a
refused request leaves its log and database as they were.

Examples per operation: ``URNA_FUZZ_EXAMPLES`` (default 12), as for the web API.
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

from tests.returncode_helpers import LiveAuthority
from tests.returncode_helpers import log_lines
from tests.returncode_helpers import make_setup
from tests.returncode_helpers import serving
from voting.tools.returncodes.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi-returncodes.yaml")
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = int(os.environ.get("URNA_FUZZ_EXAMPLES", "12"))


def _send(live: LiveAuthority, case: Any) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    try:
        body = None
        headers = {}
        if case.body is not NOT_SET:
            body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
            headers["Content-Type"] = case.media_type or "application/json"
        connection.request(case.method.upper(), case.operation.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_operation_answers_calmly(operation: Any, tmp_path: Path) -> None:
    setup = make_setup(tmp_path, seed=b"rc-fuzz")
    assert main(setup.setup_args()) == 0
    documented = set(operation.definition.raw["responses"])
    modes = [GenerationMode.POSITIVE]
    if operation.method.upper() == "POST":
        modes.append(GenerationMode.NEGATIVE)
    strategy = st.one_of(*[operation.as_strategy(generation_mode=mode) for mode in modes])
    # Ballot-shaped bodies are slow to generate (as in tests/production/test_fuzz_api.py).
    examples = max(4, EXAMPLES // 2) if operation.path == "/v1/choice-codes" else EXAMPLES
    with serving(setup) as live:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize="URNA_FUZZ_EXAMPLES" not in os.environ,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            status, raw = _send(live, case)
            assert status < 500, raw[:300]
            assert str(status) in documented, (status, raw[:300])
            if status >= 400:
                body = json.loads(raw)
                assert body["error"] and body["message"]

        run()
        assert live.request("GET", "/v1/identity")[0] == 200
    assert log_lines(setup) == []
