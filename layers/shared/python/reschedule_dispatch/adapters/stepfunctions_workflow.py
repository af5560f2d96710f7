"""Starts the confirm workflow in Step Functions, one execution per session."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from reschedule_dispatch.domain.session import Opening, RescheduleSession


def execution_name(session: RescheduleSession) -> str:
    """One name per confirm attempt: a double submit reuses it, a new pick gets a new one."""
    return f"session-{session.id}-{session.confirm_attempt}"


class StepFunctionsConfirmWorkflow:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, session: RescheduleSession, opening: Opening) -> None:
        # Same name and input as a running execution: AWS answers with that one, starting nothing.
        with contextlib.suppress(self._client.exceptions.ExecutionAlreadyExists):
            self._client.start_execution(
                stateMachineArn=self._arn,
                name=execution_name(session),
                input=json.dumps(
                    {
                        "session_id": session.id,
                        "business_id": session.business_id,
                        "appointment_id": session.appointment_id,
                        "opening": opening.model_dump(mode="json"),
                    }
                ),
            )
