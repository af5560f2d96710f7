"""Confirm workflow: the Standard state machine that moves the appointment.

Input ``{"session_id", "business_id", "appointment_id", "opening": {...}}``.
MoveAppointment (retries transient errors) -> FinalizeSession -> Succeed; an error in either
step is caught into ``$.error`` and RecordFailure marks the session failed -> Fail.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import nag
from infra.capabilities.expiry import Expiry
from infra.lambda_factory import LambdaFactory, ignore_redundant_depends_on

# Errors worth retrying: the provider's transient failure and the Lambda service's own.
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
MOVE_RETRY_ERRORS = ["ProviderUnavailable", *LAMBDA_TRANSIENT_ERRORS]


class ConfirmWorkflow(Construct):
    """The three task functions (confirm/move, finalize, fail) and the state machine."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: LambdaFactory,
        app_table: dynamodb.ITable,
        provider_table: dynamodb.ITable,
        expiry: Expiry,
    ) -> None:
        super().__init__(scope, construct_id)
        self.move_function = functions.function(
            self,
            "MoveFunction",
            folder="confirm",
            module="move",
            service="confirm_move",
            description="Confirm workflow: move the appointment in the provider",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "PROVIDER_TABLE_NAME": provider_table.table_name,
            },
            timeout=Duration.seconds(30),
        )
        app_table.grant_read_write_data(self.move_function)
        provider_table.grant_read_write_data(self.move_function)

        self.finalize_function = functions.function(
            self,
            "FinalizeFunction",
            folder="confirm",
            module="finalize",
            service="confirm_finalize",
            description="Confirm workflow: complete the session, delete its expiry schedule",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
            },
            timeout=Duration.seconds(15),
        )
        app_table.grant_read_write_data(self.finalize_function)
        expiry.grant_delete_schedules(self.finalize_function)

        self.fail_function = functions.function(
            self,
            "FailFunction",
            folder="confirm",
            module="fail",
            service="confirm_fail",
            description="Confirm workflow: mark the session failed with the reason",
            environment={"APP_TABLE_NAME": app_table.table_name},
            timeout=Duration.seconds(15),
        )
        app_table.grant_read_write_data(self.fail_function)

        for function in (self.move_function, self.finalize_function, self.fail_function):
            nag.acknowledge_table_indexes(function, app_table)
        nag.acknowledge_table_indexes(self.move_function, provider_table)

        self.log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Move the appointment, then finalize the session; record any failure",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            timeout=Duration.minutes(10),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        cfn_state_machine = self.state_machine.node.default_child
        assert isinstance(cfn_state_machine, sfn.CfnStateMachine)
        ignore_redundant_depends_on(cfn_state_machine)
        role = self.state_machine.role
        nag.acknowledge_function_versions(
            role, self.move_function, self.finalize_function, self.fail_function
        )
        nag.acknowledge_wildcard_resource(
            role,
            "*",
            "Step Functions logging (logs:CreateLogDelivery and friends) and X-Ray tracing "
            "(xray:PutTraceSegments, GetSamplingRules...) support no resource-level "
            "permissions.",
        )

    def _definition(self) -> sfn.IChainable:
        move = self._invoke("MoveAppointment", self.move_function, result_path="$.moved")
        move.add_retry(
            errors=MOVE_RETRY_ERRORS,
            interval=Duration.seconds(2),
            max_attempts=3,
            backoff_rate=2,
        )
        # FinalizeSession gets the whole state: the input plus $.moved.
        finalize = self._invoke("FinalizeSession", self.finalize_function)
        finalize.add_retry(
            errors=LAMBDA_TRANSIENT_ERRORS,
            interval=Duration.seconds(2),
            max_attempts=3,
            backoff_rate=2,
        )
        record_failure = self._invoke("RecordFailure", self.fail_function)
        record_failure.add_retry(
            errors=LAMBDA_TRANSIENT_ERRORS,
            interval=Duration.seconds(2),
            max_attempts=3,
            backoff_rate=2,
        )
        failed = sfn.Fail(
            self,
            "ConfirmFailed",
            error="ConfirmFailed",
            cause="The appointment could not be moved; the session records the reason.",
        )
        record_failure.next(failed)

        for step in (move, finalize):
            step.add_catch(record_failure, errors=[sfn.Errors.ALL], result_path="$.error")

        return move.next(finalize).next(sfn.Succeed(self, "Confirmed"))

    def _invoke(
        self, state_name: str, function: lambda_.IFunction, *, result_path: str | None = None
    ) -> tasks.LambdaInvoke:
        """A task whose result is the function's return value (no Lambda response envelope)."""
        return tasks.LambdaInvoke(
            self,
            state_name,
            lambda_function=function,
            payload_response_only=True,
            retry_on_service_exceptions=False,  # each step declares its own retries
            result_path=result_path,
        )
