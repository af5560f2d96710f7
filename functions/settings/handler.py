"""The business's settings: GET and PUT /api/settings."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.api.http import current_dispatcher, dispatcher_route, json_resolver
from reschedule_dispatch.api.models import SettingsBody
from reschedule_dispatch.composition.console import SettingsServices
from reschedule_dispatch.domain.team import may_change_the_business
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = SettingsServices()  # built on first use (composition/family.py)


@app.get("/api/settings", **dispatcher_route(HTTPStatus.NOT_FOUND))
def get_settings() -> SettingsBody:
    dispatcher = current_dispatcher(app.current_event)
    return SettingsBody.of(services.get_business(dispatcher.business_id).settings)


@app.put("/api/settings", **dispatcher_route(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND))
def put_settings(body: Annotated[SettingsBody, Body()]) -> SettingsBody:
    dispatcher = current_dispatcher(app.current_event)
    may_change_the_business(dispatcher.role)
    saved = services.update_settings(dispatcher.business_id, body.model_dump(exclude_unset=True))
    logger.info("settings changed", extra={"business_id": dispatcher.business_id})
    return SettingsBody.of(saved)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
