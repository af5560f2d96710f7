"""Cold-start floor of the API functions: every function's floor and Powertools' event handler.

The API's resolver validates requests and responses against their pydantic models and
serves the OpenAPI document (`reschedule_dispatch.api.http`), so every API function imports
the event handler with its OpenAPI parameters, as this does.
"""

import every_function  # type: ignore[import-not-found]  # noqa: F401 -- on the path beside it when timed
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body  # noqa: F401

app = APIGatewayRestResolver(enable_validation=True)
