"""Every function's Powertools Logger, masked: a log line never carries a phone number or a
link token (docs/security.md, "Logs").

The masking runs on the finished JSON line, so it covers the message, its arguments, extra
keys and exception tracebacks alike. The package's own standard-library loggers (services,
adapters) are routed through the same handler, so their lines are masked and structured too.
Message bodies cannot be recognized by a pattern: no code logs one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from reschedule_dispatch.domain.messages import mask_private

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

PACKAGE = "reschedule_dispatch"
# The correlation id of the functions a session's events invoke (the confirm workflow's steps,
# its expiry schedule): its id, so one search finds every line those wrote for it.
SESSION_ID = "session_id"


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: LogRecord) -> str:
        return mask_private(super().serialize(log))


def function_logger() -> Logger:
    """The handler module's logger (one per function, built at import like Powertools')."""
    logger = Logger(logger_formatter=MaskingFormatter())
    if not isinstance(logger.registered_formatter, MaskingFormatter):
        # Powertools reuses the handler of an earlier Logger of the same service as it was.
        logger.registered_handler.setFormatter(MaskingFormatter())
    logging.getLogger(PACKAGE)  # registered, so the children's records reach it
    copy_config_to_registered_loggers(source_logger=logger, include={PACKAGE})
    return logger
