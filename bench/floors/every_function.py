"""Cold-start floor: what every function imports before any of this app's code.

boto3; pydantic with one model (the domain's models are pydantic); Powertools' Logger and
Metrics; and its Tracer with botocore patched, as `reschedule_dispatch.tracing` does.
`bench/bench_cold_start.py` imports it the way it imports a handler, so no handler can
import faster than this (`tests/unit/bench/test_cold_start.py` checks that each handler
imports every module this does).
"""

import boto3  # noqa: F401 -- imported for its cost, as every function's adapters do
from aws_lambda_powertools import Logger, Metrics, Tracer
from pydantic import AwareDatetime, BaseModel


class Floor(BaseModel):
    at: AwareDatetime


logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
