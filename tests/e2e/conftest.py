"""Starts the whole local stack (`python -m local`, as `make dev` does) for the e2e tests.

The stack's clock is pinned (local/clock.py): every e2e and browser test runs at the same
simulated hour, whatever hour the machine has, so none passes or fails by when it runs.
Tests about time start their own stack at the moment they need (`running_stack`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.serving import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90
CHICAGO = ZoneInfo("America/Chicago")  # Northside Plumbing's zone, the first seeded business
# The test stacks do not wait on what only shows progress to a person: texts move through
# their delivery steps and due schedules fire in tenths of a second, not seconds.
FAST = {"SMS_STEP_SECONDS": "0.05", "SCHEDULER_TICK_SECONDS": "0.5"}
# Where the shared test stacks' clock starts, whatever the machine's date and hour: a Tuesday
# at 10:30 in Chicago (08:30 in San Francisco, 11:30 in New York), every seeded business at
# work, no quiet hours, a working week of openings ahead. The demo data follows the clock.
PINNED = datetime(2026, 12, 8, 10, 30, tzinfo=CHICAGO)


if TYPE_CHECKING:
    from tests.e2e.client import Console


@pytest.fixture(scope="session")
def stack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("stack")
    with running_stack(folder, PINNED) as url:
        yield url


@contextlib.contextmanager
def running_stack(folder: Path, clock: datetime, **env: str) -> Iterator[str]:
    """`python -m local` with its clock starting at `clock` and the demo data made for that
    day; yields its URL, and stops it after."""
    process, url = start_stack(folder, clock, **env)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def start_stack(folder: Path, clock: datetime, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m local` started and healthy (its log in `folder/stack.log`): the process,
    for the caller to stop, and its URL."""
    if not (ROOT / "cdk.out" / "RescheduleDispatch.template.json").exists():
        pytest.fail("cdk.out is missing: run `make synth` (make test does it)")
    port = free_port()
    log = folder / "stack.log"
    variables = {
        **os.environ,
        **FAST,
        "PORT": str(port),
        "LOCAL_CLOCK": clock.isoformat(),
        **env,
    }
    variables.pop("SEED", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=variables,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"the local stack exited early:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.RequestException:  # not accepting or not answering yet
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the local stack did not become healthy:\n{log.read_text()[-4000:]}")
        time.sleep(0.3)


@pytest.fixture
def console(stack_url: str) -> Console:
    """Northside's dispatcher, signed in."""
    from tests.e2e.client import NORTHSIDE, Console  # client imports this module

    return Console.sign_in(stack_url, NORTHSIDE)


@pytest.fixture
def faults(stack_url: str) -> Iterator[Callable[..., None]]:
    """Arms a scheduling-provider fault (`/dev/provider-faults`); all are cleared after."""

    from tests.e2e.client import TIMEOUT as timeout  # client imports this module

    def arm(**rule: Any) -> None:
        response = requests.post(f"{stack_url}/dev/provider-faults", json=rule, timeout=timeout)
        assert response.status_code == 201, response.text

    yield arm
    requests.delete(f"{stack_url}/dev/provider-faults", timeout=timeout)


def stack_now(url: str) -> datetime:
    """The stack's clock (`GET /dev/clock`): what "now" is to the product under test."""
    response = requests.get(f"{url}/dev/clock", timeout=5)
    response.raise_for_status()
    return datetime.fromisoformat(response.json()["now"])


def advance(url: str, duration: str) -> dict[str, Any]:
    """Moves the stack's clock forward by an ISO 8601 duration; answers /dev/clock's reply."""
    response = requests.post(f"{url}/dev/clock", json={"advance": duration}, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def token_for(url: str, email: str) -> str:
    response = requests.get(f"{url}/dev/token", params={"dispatcher": email}, timeout=5)
    response.raise_for_status()
    return str(response.json()["token"])


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.25):
    """Polls until predicate() returns something truthy; returns it, or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
