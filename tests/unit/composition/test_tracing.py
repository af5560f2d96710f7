"""The functions' Tracer patches botocore at once and requests only once something imports it.

Each case runs in a fresh interpreter with the variables Lambda sets, because patching is
process-wide and the test session runs with tracing disabled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SHARED_LAYER = Path(__file__).resolve().parents[3] / "layers" / "shared" / "python"

PROGRAM = """
import json, sys
from aws_xray_sdk.core import patcher
from reschedule_dispatch.tracing import function_tracer

function_tracer()
at_init = sorted(patcher._PATCHED_MODULES)
requests_loaded_at_init = "requests" in sys.modules
import requests  # what building a Twilio client does
print(json.dumps([at_init, requests_loaded_at_init, sorted(patcher._PATCHED_MODULES)]))
"""


def run(tmp_path: Path, **extra: str) -> list[object]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(SHARED_LAYER),
        "LAMBDA_TASK_ROOT": str(tmp_path),
        "AWS_LAMBDA_FUNCTION_NAME": "expire",
        "AWS_REGION": "us-east-1",
        **extra,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    parsed: list[object] = json.loads(result.stdout)
    return parsed


def test_botocore_at_init_and_requests_when_imported(tmp_path: Path) -> None:
    at_init, requests_loaded_at_init, after_import = run(tmp_path)

    assert at_init == ["botocore"]
    assert requests_loaded_at_init is False
    assert after_import == ["botocore", "requests"]


def test_nothing_is_patched_when_tracing_is_disabled(tmp_path: Path) -> None:
    at_init, _, after_import = run(tmp_path, POWERTOOLS_TRACE_DISABLED="true")

    assert at_init == []
    assert after_import == []
