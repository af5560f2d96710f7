"""Starts the confirm workflow in Step Functions, one execution per confirm attempt, and
tells the watchdog whether one is running."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from reschedule_dispatch.domain.ports import WorkflowState
from reschedule_dispatch.domain.session import Opening, RescheduleSession

# A step's Lambda runs at most 30 s (infra/capabilities/confirm_workflow.py), and may still be
# running when a timed-out execution stops: a move can land after it. Past this, none can.
STEP_SETTLES = timedelta(seconds=60)


def execution_name(session: RescheduleSession) -> str:
    """One name per confirm attempt: a double submit reuses it, a new pick gets a new one."""
    return f"session-{session.id}-{session.confirm_attempt}"


class StepFunctionsConfirmWorkflow:
    def __init__(
        self, client: Any, state_machine_arn: str, *, settles: timedelta = STEP_SETTLES
    ) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._settles = settles

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

    def state(self, session: RescheduleSession) -> WorkflowState:
        """The current attempt's execution: running (or stopped so recently that a step it
        started may still be running), else ended; an execution never started has ended."""
        # An execution's ARN is its state machine's, with "execution" and its name.
        arn = self._arn.replace(":stateMachine:", ":execution:", 1) + ":" + execution_name(session)
        try:
            described = self._client.describe_execution(executionArn=arn)
        except self._client.exceptions.ExecutionDoesNotExist:
            return "ended"
        if described["status"] == "RUNNING":
            return "running"
        # Measured on the service's clock, as stopDate is: its answer's Date (whole seconds,
        # so up to a second early).
        answered = parsedate_to_datetime(described["ResponseMetadata"]["HTTPHeaders"]["date"])
        settling = described["stopDate"] + self._settles > answered + timedelta(seconds=1)
        return "running" if settling else "ended"
