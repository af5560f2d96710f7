"""Powertools' Tracer for every function, patching each traced library when it is loaded.

`Tracer()` patches every library the X-Ray SDK supports (its `patch_all`), importing each one
to do so: requests, which comes with twilio, cost about 20 ms at every cold start, even in the
functions that never text. Here botocore, which every function uses, is patched at once, and
the others `patch_all` would find in the dependency layer when something first imports them
(requests when a Twilio client is built), so the same calls are traced as before.
"""

from __future__ import annotations

from collections.abc import Callable
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
