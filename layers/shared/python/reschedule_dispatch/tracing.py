"""Powertools' Tracer for every function, patching each traced library when it is loaded.

`Tracer()` patches every library the X-Ray SDK supports (its `patch_all`), importing each one
to do so: requests, which comes with twilio, cost about 20 ms at every cold start, even in the
functions that never text. Here botocore, which every function uses, is patched at once, and
the others `patch_all` would find in the dependency layer when something first imports them
(requests when a Twilio client is built), so the same calls are traced as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

from aws_lambda_powertools import Tracer
from wrapt import register_post_import_hook

PATCHED_AT_ONCE = ("botocore",)
PATCHED_WHEN_IMPORTED = ("requests", "sqlite3")


def function_tracer() -> Tracer:
    tracer = Tracer(patch_modules=PATCHED_AT_ONCE)
    for name in PATCHED_WHEN_IMPORTED:
        register_post_import_hook(_patcher(tracer, name), name)
    return tracer


def _patcher(tracer: Tracer, name: str) -> Callable[[ModuleType], None]:
    def patch(_module: ModuleType) -> None:
        tracer.patch([name])  # nothing when tracing is disabled; once per library

    return patch


@contextmanager
def outside_call(service: str, method: str, host: str) -> Iterator[None]:
    """One X-Ray subsegment around a call to an outside HTTP API (botocore's are traced by
    its patch; urllib3's are not), named for the service. Only where a trace is under way
    (Lambda with active tracing sets _X_AMZN_TRACE_ID): elsewhere the SDK has no segment to
    hang it on. Method and host only: paths and queries can carry a customer's details."""
    if "_X_AMZN_TRACE_ID" not in os.environ:
        yield
        return
    from aws_xray_sdk import global_sdk_config  # type: ignore[import-untyped]
    from aws_xray_sdk.core import xray_recorder  # type: ignore[import-untyped]

    if not global_sdk_config.sdk_enabled():
        yield
        return
    with xray_recorder.in_subsegment(f"## {service}") as subsegment:
        if subsegment is not None:
            subsegment.namespace = "remote"
            subsegment.put_annotation("service", service)
            subsegment.put_metadata("request", {"method": method, "host": host})
        yield
