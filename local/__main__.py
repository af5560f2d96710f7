"""`python -m local`: run the local stack until interrupted. PORT and SEED override defaults."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.stack import LocalStack, StackConfig


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    seed = os.environ.get("SEED") or None
    config = StackConfig(
        port=int(os.environ.get("PORT", "8000")),
        cdk_out=Path(os.environ.get("CDK_OUT", "cdk.out")),
        seed_file=Path(seed) if seed else None,
    )
    stack = LocalStack(config)
    stack.start()
    print(stack.banner(), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
