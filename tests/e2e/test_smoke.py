"""`make smoke`, the post-deploy smoke test, passes against the local stack: the same console
config.json, health route, customer link 404 page and sign-in page a deployment serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_make_smoke_passes_against_the_local_stack(stack_url: str, tmp_path: Path) -> None:
    # When an operator runs `make smoke` with the console's address (here the local
    # stack's; no outputs file, so nothing else is assumed)
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "smoke",
            f"URL={stack_url}/console/",
            f"PYTHON={sys.executable}",
            f"OUTPUTS_FILE={tmp_path / 'cdk-outputs.json'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then every check passes and the command succeeds
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    for check in ("config.json", "health", "unknown link", "sign-in page"):
        assert f"PASS  {check}: " in report, report
    assert f"names the API {stack_url}/ (sign-in: dev)" in report
    assert "4 of 4 checks passed" in report
