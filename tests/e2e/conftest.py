"""Starts the whole local stack (`python -m local`, as `make dev` does) for the e2e tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from local.demo_data import write_demo_seed_without_quiet_hours
from tests.serving import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90


if TYPE_CHECKING:
    from tests.e2e.client import Console


@pytest.fixture(scope="session")
def stack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (ROOT / "cdk.out" / "RescheduleDispatch.template.json").exists():
        pytest.fail("cdk.out is missing: run `make synth` (make test does it)")
    port = free_port()
    folder = tmp_path_factory.mktemp("stack")
    log = folder / "stack.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "SEED": str(write_demo_seed_without_quiet_hours(folder)),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the local stack exited early:\n{log.read_text()[-4000:]}")
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # not accepting or not answering yet
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the local stack did not become healthy:\n{log.read_text()[-4000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


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
