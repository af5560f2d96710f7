"""`python -m local`: run the local stack until interrupted.

Environment: PORT, SEED (a seed file), CDK_OUT; LOCAL_CLOCK ("business-hours", the default;
"real"; or an ISO 8601 moment with its offset: where the clock starts); SMS_STEP_SECONDS and
SCHEDULER_TICK_SECONDS (the Twilio sandbox's delivery steps and the scheduler pump's tick:
tests shorten them).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

from local.stack import LocalStack, StackConfig


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
    stack = LocalStack(config)
    stack.start()
    print(stack.banner(), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stack.stop()
    return 0


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
