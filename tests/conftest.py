"""Every test runs with dummy AWS credentials, so nothing can ever reach a real account; in
parallel, the tests that share a local stack run on one worker."""

from __future__ import annotations

import os
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "RescheduleDispatch",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
)
for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)


# Run in parallel (pyproject: pytest-xdist), the tests that share a local stack (or the
# synthesized CDK app) stay on one worker, so each group builds it once; every other test is
# scheduled on its own. The e2e tests are two groups so the longest (the API fuzz) runs beside
# the rest. (A scheduler of our own: xdist's loadgroup does not group under pytest 9.)
_STACK_GROUPS: dict[str, str | None] = {
    "tests/infra": "synthesized-app",
    "tests/browser": "browser-stack",
    "tests/e2e/test_api_fuzz.py": "e2e-stack-1",
    "tests/e2e/test_lifecycle.py": "e2e-stack-1",
    "tests/e2e/test_providers.py": "e2e-stack-1",
    # its own stack, whose clock its tests move forward in file order
    "tests/e2e/test_time_travel.py": "time-travel-stack",
    # each case starts its own stack: no group
    "tests/e2e/test_readme_walkthrough.py": None,
    "tests/e2e/test_stack_stops.py": None,
    "tests/e2e": "e2e-stack-2",
}


def stack_group(path: str) -> str | None:
    """The group of the test file at `path` (relative to the repository), if it has one."""
    return next(
        (
            g
            for prefix, g in _STACK_GROUPS.items()
            if path == prefix or path.startswith(prefix + "/")
        ),
        None,
    )


class _StackGroups(LoadScopeScheduling):  # type: ignore[misc]
    def _split_scope(self, nodeid: str) -> str:
        return stack_group(nodeid.split("::", 1)[0]) or nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling:
    return _StackGroups(config, log)
