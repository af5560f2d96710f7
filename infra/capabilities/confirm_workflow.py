"""Confirm workflow: the Standard state machine that moves the appointment.

Input ``{"session_id", "business_id", "appointment_id", "opening": {...}}``.
HoldOpening -> CheckAppointment -> MoveAppointment -> FinalizeSession -> Confirmed. An error in
Hold or Check is caught into ``$.error`` and Compensate releases the hold; it either hands
the link back to the customer (the time was taken: PickAgain) or fails the session with a
reason (ConfirmFailed). An error in Move goes to the watchdog first (SettleMove): the move
may have happened (its answer lost: Finalize) or half happened (put back, then failed). Transient provider errors retry with exponential backoff and jitter.
Should Finalize or Compensate still fail after their retries, the Catch hands the session to
the watchdog (Settle), which asks the provider where the appointment is; every few minutes the
watchdog also settles sessions whose execution ended or never started
(services/watchdog.py).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import nag
from infra.capabilities.expiry import Expiry
from infra.capabilities.providers import grant_provider_secrets, on_schedule
from infra.lambda_factory import LambdaFactory, ignore_redundant_depends_on

# The Lambda service's own transient errors, and a function that died or timed out
# mid-step (out of memory, a crash: Runtime.ExitError; its timeout: Sandbox.Timedout; either
# when Lambda cannot tell: Lambda.Unknown): every step retries these, each being safe to run
# again (services/lifecycle.py).
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "Runtime.ExitError",
    "Sandbox.Timedout",
]
# The provider's transient failures (5xx, timeouts, 429), raised by the provider adapters.
PROVIDER_TRANSIENT_ERRORS = ["ProviderUnavailable", "ProviderRateLimited", "States.Timeout"]
# Finalize's and Compensate's own failures are retried this many times (about a minute and a
# half in all, with the backoff) before the execution fails.
FINISHING_ATTEMPTS = 5
# How often the watchdog looks for confirming sessions with no execution running: a stuck
# session is settled within this plus its 2-minute grace (services/watchdog.py).
WATCHDOG_INTERVAL = Duration.minutes(5)


class ConfirmWorkflow(Construct):
    """The step functions (confirm/hold, check, move, finalize, compensate) and the machine."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: LambdaFactory,
        app_table: dynamodb.ITable,
        provider_table: dynamodb.ITable,
        twilio_secret: secretsmanager.ISecret,
        expiry: Expiry,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        app_env = {"APP_TABLE_NAME": app_table.table_name}
        provider_env = {**app_env, "PROVIDER_TABLE_NAME": provider_table.table_name}

        def step(
            name: str, module: str, description: str, environment: dict[str, str]
        ) -> lambda_.Function:
            return functions.function(
                self,
                name,
                folder="confirm",
                module=module,
                description=f"Confirm workflow: {description}",
                environment=environment,
                timeout=Duration.seconds(30),
            )

        self.hold_function = step(
            "HoldFunction", "hold", "hold the chosen technician time", app_env
        )
        self.check_function = step(
            "CheckFunction", "check", "re-check the appointment and the time", provider_env
        )
        self.move_function = step(
            "MoveFunction", "move", "move the appointment in the provider", provider_env
        )
        self.finalize_function = step(
            "FinalizeFunction",
            "finalize",
            "complete the session, drop its expiry, text the customer",
            {
                **app_env,
                "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
                "TWILIO_SECRET_ARN": twilio_secret.secret_arn,
            },
        )
        self.compensate_function = step(
            "CompensateFunction", "compensate", "release the hold, record the outcome", app_env
        )
        finishing_env = {
            **app_env,
            "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
            "TWILIO_SECRET_ARN": twilio_secret.secret_arn,
        }
        self.watchdog_function = functions.function(
            self,
            "WatchdogFunction",
            folder="confirm",
            module="watchdog",
            description="Confirm workflow: settle sessions whose workflow stopped",
            # No state machine ARN here: the machine invokes this function (a cycle); its
            # rule's payload names the machine instead.
            environment={**finishing_env, "PROVIDER_TABLE_NAME": provider_table.table_name},
            timeout=Duration.minutes(5),
        )
        self.step_functions = (
            self.hold_function,
            self.check_function,
            self.move_function,
            self.finalize_function,
            self.compensate_function,
            self.watchdog_function,
        )
        for function in self.step_functions:
            app_table.grant_read_write_data(function)
            nag.acknowledge_table_indexes(function, app_table)
        provider_table.grant_read_data(self.check_function)
        provider_table.grant_read_write_data(self.move_function)
        provider_table.grant_read_data(self.watchdog_function)
        for function in (self.check_function, self.move_function, self.watchdog_function):
            nag.acknowledge_table_indexes(function, provider_table)
            grant_provider_secrets(function)
        for finishing in (self.finalize_function, self.watchdog_function):
            expiry.grant_delete_schedules(finishing)
            twilio_secret.grant_read(finishing)
        self.log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Hold, re-check, move the appointment, finalize; compensate on any error",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            timeout=Duration.minutes(10),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel.ALL,
                # Every event, without its data: inputs, outputs and error causes can carry a
                # customer's number (a Twilio error's cause does), and log lines are masked
                # only in the functions. The execution history keeps the data, behind IAM.
                include_execution_data=False,
            ),
        )
        cfn_state_machine = self.state_machine.node.default_child
        assert isinstance(cfn_state_machine, sfn.CfnStateMachine)
        # The watchdog asks whether a session's execution still runs: this machine's
        # executions only. A policy of its own: the function's default policy is a dependency
        # of the function, which the machine invokes (a cycle).
        executions = Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        describe = iam.Policy(
            self,
            "WatchdogDescribesExecutions",
            statements=[
                iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions])
            ],
        )
        assert self.watchdog_function.role is not None
        describe.attach_to_role(self.watchdog_function.role)
        nag.acknowledge_wildcard_resource(
            describe,
            "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f"<{Stack.of(self).get_logical_id(cfn_state_machine)}.Name>:*",
            "Executions are named per session and attempt at run time; only this state "
            "machine's, and only described.",
        )
        self.watchdog_rule = events.Rule(
            self,
            "Watchdog",
            description="Settle confirming sessions whose workflow stopped",
            schedule=events.Schedule.rate(WATCHDOG_INTERVAL),
            targets=[
                on_schedule(
                    self.watchdog_function,
                    dead_letter_queue,
                    {"state_machine_arn": self.state_machine.state_machine_arn},
                )
            ],
        )
        ignore_redundant_depends_on(cfn_state_machine)
        role = self.state_machine.role
        nag.acknowledge_function_versions(role, *self.step_functions)
        nag.acknowledge_wildcard_resource(
            role,
            "*",
            "Step Functions logging (logs:CreateLogDelivery and friends) and X-Ray tracing "
            "(xray:PutTraceSegments, GetSamplingRules...) support no resource-level "
            "permissions.",
        )

    def _definition(self) -> sfn.IChainable:
        hold = self._invoke("HoldOpening", self.hold_function, result_path=sfn.JsonPath.DISCARD)
        check = self._invoke(
            "CheckAppointment", self.check_function, result_path=sfn.JsonPath.DISCARD
        )
        move = self._invoke("MoveAppointment", self.move_function, result_path="$.moved")
        finalize = self._invoke("FinalizeSession", self.finalize_function)
        compensate = self._invoke(
            "Compensate", self.compensate_function, result_path="$.compensation"
        )

        for provider_step in (check, move):
            provider_step.add_retry(
                errors=PROVIDER_TRANSIENT_ERRORS,
                interval=Duration.seconds(1),
                max_attempts=4,
                backoff_rate=2,
                max_delay=Duration.seconds(10),
                jitter_strategy=sfn.JitterType.FULL,
            )
        for any_step in (hold, check, move, finalize, compensate):
            any_step.add_retry(
                errors=LAMBDA_TRANSIENT_ERRORS,
                interval=Duration.seconds(1),
                max_attempts=3,
                backoff_rate=2,
                jitter_strategy=sfn.JitterType.FULL,
            )
        # Finalize and Compensate are safe to run again (each write is conditional, each
        # message sent once) and must not leave a session confirming over a passing fault (a
        # transaction conflict, a throttled Scheduler call): any failure of theirs is tried
        # again, a few times, further apart.
        for must_finish in (finalize, compensate):
            must_finish.add_retry(
                errors=[sfn.Errors.TASKS_FAILED],
                interval=Duration.seconds(2),
                max_attempts=FINISHING_ATTEMPTS,
                backoff_rate=2,
                max_delay=Duration.seconds(30),
                jitter_strategy=sfn.JitterType.FULL,
            )
        # Past their retries, the watchdog settles the session at once (it asks the provider
        # where the appointment is), and the execution fails for the alarms to see.
        settle = self._watchdog_step(
            "Settle",
            {"session_id": sfn.JsonPath.string_at("$.session_id")},
            result_path="$.settled",
            attempts=3,
        )
        unsettled = sfn.Fail(
            self,
            "FinishingFailed",
            error="FinishingFailed",
            cause="Finalize or Compensate kept failing; the watchdog settled the session.",
        )
        settle.next(unsettled)
        settle.add_catch(unsettled, errors=[sfn.Errors.ALL], result_path="$.settle_error")
        for must_finish in (finalize, compensate):
            must_finish.add_catch(settle, errors=[sfn.Errors.ALL], result_path="$.error")
        # Nothing has moved before Move, so an error up to there is safe to undo.
        for undoable in (hold, check):
            undoable.add_catch(compensate, errors=[sfn.Errors.ALL], result_path="$.error")
        # Move may have moved it, or half (two provider calls for another technician): the
        # watchdog asks the provider and finalizes, puts it back, or compensates.
        settle_move = self._watchdog_step(
            "SettleMove",
            {
                "session_id": sfn.JsonPath.string_at("$.session_id"),
                "error": sfn.JsonPath.string_at("$.error.Error"),
            },
            result_path="$.compensation",
            attempts=FINISHING_ATTEMPTS,
        )
        move.add_catch(settle_move, errors=[sfn.Errors.ALL], result_path="$.error")
        # The provider could not be asked: the session stays confirming and the watchdog's
        # round settles it when the provider answers (a failed session whose appointment
        # moved, or half, would be worse than a late one).
        settle_move.add_catch(
            sfn.Fail(
                self,
                "MoveUnsettled",
                error="MoveUnsettled",
                cause="Move failed and the provider could not be asked where the appointment "
                "is; the watchdog settles the session when it can.",
            ),
            errors=[sfn.Errors.ALL],
            result_path="$.settle_error",
        )

        pick_again = sfn.Succeed(
            self, "PickAgain", comment="The time was taken; the customer can pick another."
        )
        failed = sfn.Fail(
            self,
            "ConfirmFailed",
            error="ConfirmFailed",
            cause="The appointment could not be moved; the session records the reason.",
        )
        confirmed = sfn.Succeed(self, "Confirmed")
        compensate.next(
            sfn.Choice(self, "CustomerCanPickAgain")
            .when(sfn.Condition.string_equals("$.compensation.status", "viewed"), pick_again)
            .otherwise(failed)
        )
        settle_move.next(
            sfn.Choice(self, "MovedAfterAll")
            .when(sfn.Condition.string_equals("$.compensation.status", "completed"), confirmed)
            .when(sfn.Condition.string_equals("$.compensation.status", "viewed"), pick_again)
            .otherwise(failed)
        )
        return hold.next(check).next(move).next(finalize).next(confirmed)

    def _watchdog_step(
        self, state_name: str, payload: dict[str, str], *, result_path: str, attempts: int
    ) -> tasks.LambdaInvoke:
        """The watchdog for this execution's session, retried (a throttle, a conflict, the
        provider not answering) a few times, further apart."""
        step = tasks.LambdaInvoke(
            self,
            state_name,
            lambda_function=self.watchdog_function,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path=result_path,
        )
        step.add_retry(
            errors=[*LAMBDA_TRANSIENT_ERRORS, sfn.Errors.TASKS_FAILED],
            interval=Duration.seconds(2),
            max_attempts=attempts,
            backoff_rate=2,
            max_delay=Duration.seconds(30),
            jitter_strategy=sfn.JitterType.FULL,
        )
        return step

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
