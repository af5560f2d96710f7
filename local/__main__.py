"""`python -m local`: run the local stack until interrupted.

Environment: PORT, SEED (a seed file), CDK_OUT; LOCAL_CLOCK ("business-hours", the default;
"real"; or an ISO 8601 moment with its offset: where the clock starts); SMS_STEP_SECONDS and
SCHEDULER_TICK_SECONDS (the Twilio sandbox's delivery steps and the scheduler pump's tick:
tests shorten them); DEV_ID_TOKEN_SECONDS and DEV_REFRESH_TOKEN_SECONDS (the dev sign-in's
token lifetimes, 1 h and 12 h as Cognito's: a test shortens them to see renewals).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from local.stack import LocalStack, StackConfig

# Ctrl-C or SIGTERM ends the process within this many seconds, however busy the stack was.
STOP_SECONDS = 3.5


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    seed = os.environ.get("SEED") or None
    try:
        config = StackConfig(
            port=int(os.environ.get("PORT", "8000")),
            cdk_out=Path(os.environ.get("CDK_OUT", "cdk.out")),
            seed_file=Path(seed) if seed else None,
            clock=clock_setting(os.environ.get("LOCAL_CLOCK", "business-hours")),
            sms_step_seconds=float(os.environ.get("SMS_STEP_SECONDS", "0.5")),
            scheduler_interval_seconds=float(os.environ.get("SCHEDULER_TICK_SECONDS", "1.0")),
        )
    except ValueError as error:
        print(f"python -m local: {error}", file=sys.stderr)
        return 2
    # The handler takes no lock (an Event's would deadlock if the signal landed while the
    # main thread held it): it flips a flag the main thread polls.
    asked: list[int] = []
    started = False

    def on_signal(number: int, _frame: object) -> None:
        if not started:  # nothing to stop in order yet: leave now
            os._exit(128 + number)
        asked.append(number)

    for received in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C and SIGTERM alike
        signal.signal(received, on_signal)
    stack = LocalStack(config)
    stack.start()
    started = True
    print(stack.banner(), flush=True)
    while not asked:
        time.sleep(0.1)
    stop_within(stack, STOP_SECONDS)
    return 0


def stop_within(stack: LocalStack, seconds: float) -> NoReturn:
    """Stops the stack in an orderly way for at most `seconds`, then leaves the process.

    After heavy use a request, an asynchronous invocation or a delivery may still be under
    way on a thread; nothing of the local stack outlives the process (its data is in
    memory), so none of them may hold the exit: the process ends at the deadline whatever.
    """
    stopping = threading.Thread(target=stack.stop, name="stop", daemon=True)
    stopping.start()
    stopping.join(seconds)
    if stopping.is_alive():
        logging.getLogger("local").warning("Still stopping after %.0f s: leaving anyway", seconds)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def clock_setting(value: str) -> str:
    """LOCAL_CLOCK as StackConfig takes it; ValueError saying what it accepts."""
    if value in ("business-hours", "real"):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(
            f"LOCAL_CLOCK={value!r}: use business-hours, real, or an ISO 8601 time with its "
            "UTC offset (e.g. 2026-12-08T09:00:00-06:00)"
        )
    return value


if __name__ == "__main__":
    sys.exit(main())
