"""Runs the real Lambda handlers in-process, and answers the Lambda Invoke API for them.

Each function is imported once (its cold start) with its own environment from the template,
and invocations of one function are serialized, as in one Lambda execution environment.
The Invoke API front lets moto's Step Functions interpreter and the scheduler pump call
handlers the way AWS does: errors come back as `X-Amz-Function-Error` with Lambda's
`{"errorType", "errorMessage"}` payload, which Step Functions turns into the state's error.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from local.function_faults import FunctionFaults, error_payload
from local.template import FunctionSpec, function_arn
from reschedule_dispatch.domain.messages import mask_private

logger = logging.getLogger("local.lambda")

# Values that legitimately differ between functions; everything else must agree, because
# all handlers share this one process's environment.
PER_FUNCTION_VARIABLES = frozenset({"POWERTOOLS_SERVICE_NAME"})


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class FunctionError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage", ""))
        self.payload = payload


class _PerThread:
    """A data descriptor whose value is the current thread's own."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._values = threading.local()

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return self._values.value
        except AttributeError:
            raise AttributeError(self._name) from None

    def __set__(self, instance: object, value: Any) -> None:
        self._values.value = value


def isolate_powertools_events() -> None:
    """Gives each thread its own Powertools event, as each Lambda process has its own.

    Powertools' REST resolvers keep the event being handled, and the Lambda context, on their
    base class (`BaseRouter.current_event = ...` in `resolve`): one per process. In Lambda a
    process handles one event at a time; here every function shares this process and the
    gateway's threads run different functions at once (invocations are serialized per
    function only), so a request could read another function's event mid-way: a dispatcher's
    call answered 401 because it saw a Twilio status webhook's event, which has no claims
    (the console's "Your session has ended" in a browser test), or routed by another's path.
    Each invocation runs on its caller's thread, so per-thread values are per-invocation.
    Idempotent; done before any handler is imported.
    """
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(BaseRouter.__dict__.get("current_event"), _PerThread):
        return
    event, context = _PerThread("current_event"), _PerThread("lambda_context")
    # Read through an instance (app.current_event): the descriptors on the class itself.
    BaseRouter.current_event = event  # type: ignore[assignment]
    BaseRouter.lambda_context = context  # type: ignore[assignment]
    # Set and read on the class (BaseRouter.current_event = ...): the same descriptors on
    # its metaclass, which Python consults first for a class's own attributes.
    metaclass = type(BaseRouter)
    per_thread = type(
        f"PerThread{metaclass.__name__}",
        (metaclass,),
        {"current_event": event, "lambda_context": context},
    )
    BaseRouter.__class__ = per_thread  # type: ignore[method-assign]


class LocalLambdaRuntime:
    def __init__(
        self, functions: Iterable[FunctionSpec], faults: FunctionFaults | None = None
    ) -> None:
        isolate_powertools_events()
        self._specs = {spec.name: spec for spec in functions}
        self.faults = faults or FunctionFaults()
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._locks = {name: threading.Lock() for name in self._specs}

    @property
    def names(self) -> list[str]:
        return sorted(self._specs)

    def shared_environment(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for spec in self._specs.values():
            for key, value in spec.environment.items():
                if key in PER_FUNCTION_VARIABLES:
                    continue
                if merged.setdefault(key, value) != value:
                    raise ValueError(f"{key} differs between functions; cannot run in one process")
        return merged

    def cold_start_all(self) -> None:
        """Imports every handler now, each with its own service name, one at a time."""
        for spec in self._specs.values():
            previous = os.environ.get("POWERTOOLS_SERVICE_NAME")
            os.environ.update(spec.environment)
            try:
                module = importlib.import_module(spec.module)
                self._handlers[spec.name] = getattr(module, spec.attribute)
            finally:
                if previous is None:
                    os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
                else:
                    os.environ["POWERTOOLS_SERVICE_NAME"] = previous

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Calls the handler; raises FunctionError carrying Lambda's error payload."""
        name = name_or_arn.rsplit(":function:", 1)[-1].split(":", 1)[0]
        if name not in self._specs:
            raise KeyError(f"no local function {name!r}")
        handler = self._handlers.get(name)
        if handler is None:
            raise RuntimeError("call cold_start_all() first")
        context = LocalContext(function_name=name, aws_request_id=str(uuid.uuid4()))
        fault = self.faults.take(self._specs[name].module)
        with self._locks[name]:
            if fault is not None and fault.when == "before":
                logger.info("%s %s before it ran (injected)", name, fault.fault)
                raise FunctionError(error_payload(fault))
            try:
                # A JSON round trip, so handlers get exactly what they would get in Lambda.
                result = json.loads(json.dumps(handler(json.loads(json.dumps(event)), context)))
                if fault is not None:  # it did its work; its answer is lost
                    logger.info("%s %s after it ran (injected)", name, fault.fault)
                    raise FunctionError(error_payload(fault))
                return result
            except FunctionError:
                raise
            except Exception as error:
                logger.info(
                    "%s raised %s: %s", name, type(error).__name__, mask_private(str(error))
                )
                raise FunctionError(
                    {
                        "errorType": type(error).__name__,
                        "errorMessage": str(error),
                        "stackTrace": traceback.format_tb(error.__traceback__),
                    }
                ) from error


class LambdaInvokeApi:
    """WSGI middleware: answers POST /2015-03-31/functions/{name}/invocations, passes the rest."""

    PREFIX = "/2015-03-31/functions/"

    def __init__(self, runtime: LocalLambdaRuntime, fallback: Any) -> None:
        self._runtime = runtime
        self._fallback = fallback

    def _invoke_later(self, name: str, raw: str) -> None:
        try:
            self._runtime.invoke(name, json.loads(raw) if raw else {})
        except Exception:  # Lambda would retry, then dead-letter; here the log says it
            logger.exception("asynchronous invocation of %s failed", name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not (path.startswith(self.PREFIX) and path.endswith("/invocations")):
            return self._fallback(environ, start_response)  # type: ignore[no-any-return]
        request = Request(environ)
        name = unquote(path[len(self.PREFIX) : -len("/invocations")])
        raw = request.get_data(as_text=True)
        if request.headers.get("X-Amz-Invocation-Type") == "Event":
            # Asynchronous, as in Lambda: accepted now, run after the caller's answer.
            threading.Thread(
                target=self._invoke_later, args=(name, raw), name=f"async-{name}", daemon=True
            ).start()
            return Response(status=202)(environ, start_response)
        try:
            result = self._runtime.invoke(name, json.loads(raw) if raw else {})
        except KeyError:
            body = {"Type": "User", "message": f"Function not found: {name}"}
            response = Response(json.dumps(body), status=404, mimetype="application/json")
            response.headers["x-amzn-ErrorType"] = "ResourceNotFoundException"
            return response(environ, start_response)
        except FunctionError as error:
            response = Response(json.dumps(error.payload), status=200, mimetype="application/json")
            response.headers["X-Amz-Function-Error"] = "Unhandled"
            return response(environ, start_response)
        response = Response(json.dumps(result), status=200, mimetype="application/json")
        response.headers["X-Amz-Executed-Version"] = "$LATEST"
        return response(environ, start_response)
