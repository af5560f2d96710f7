"""`make dev` stops when asked: Ctrl-C or SIGTERM ends it within 5 s, also after heavy use."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.e2e.client import NORTHSIDE, PHONE, TIMEOUT, Console, slots
from tests.e2e.conftest import PINNED, start_stack

STOP_BOUND_SECONDS = 5


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_busy_stack_stops_within_seconds(sent: signal.Signals, tmp_path: Path) -> None:
    process, url = start_stack(tmp_path, PINNED)
    try:
        # Given a stack in heavy use: links sent and 20 customers' pages, confirms and
        # schedule reads still arriving when it is asked to stop
        console = Console.sign_in(url, NORTHSIDE)
        links = [console.send_any()[2]["link"] for _ in range(3)]
        first = slots(PHONE.get(links[0], timeout=TIMEOUT).text)[0]

        def busy(n: int) -> int:
            try:
                if n % 3 == 0:
                    return PHONE.post(
                        f"{links[n % 3]}/confirm", data={"slot": first}, timeout=30
                    ).status_code
                return PHONE.get(links[n % 3], timeout=30).status_code
            except requests.RequestException:
                return 0  # answered or not: the stack was asked to stop meanwhile

        with ThreadPoolExecutor(max_workers=20) as pool:
            pending = [pool.submit(busy, n) for n in range(40)]
            time.sleep(0.5)

            # When it is interrupted
            asked = time.monotonic()
            process.send_signal(sent)

            # Then the process is gone within the bound
            process.wait(timeout=STOP_BOUND_SECONDS + 5)
            took = time.monotonic() - asked
            for future in pending:
                future.result()
        assert took < STOP_BOUND_SECONDS, f"took {took:.1f} s to stop"
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
