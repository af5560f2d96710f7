"""Expiry: one-time EventBridge Scheduler schedules that expire a session's link.

send_link creates ``session-{id}`` in the schedule group, targeting the expire function with
the scheduler role; finalize deletes it when the session completes first. The group also holds
the ``send-{id}`` schedules of links held back by quiet hours, which target send_link itself.

Scheduler invokes the target asynchronously, so a scheduled run can fail in two places, each
with bounded retries: Scheduler's delivery (the RetryPolicy each schedule carries) and the function
itself (its async invocation config). Either way the event ends in one dead-letter queue that
an operator replays from (docs/infra.md, "Operations").
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.lambda_factory import LambdaFactory

SCHEDULE_GROUP_NAME = "reschedule-dispatch-links"
# Lambda's own retries of a scheduled run that raised (it allows at most 2), expire's or
# send_link's, and how long an event may wait for them; then it goes to the dead-letter queue.
SCHEDULED_RUN_RETRY_ATTEMPTS = 2
SCHEDULED_RUN_MAX_EVENT_AGE = Duration.hours(2)
# SQS's longest: two weeks to notice the alarm, fix the cause and replay.
DEAD_LETTER_RETENTION = Duration.days(14)


class Expiry(Construct):
    """The schedule group, the expire function, the role the scheduler invokes it with, and
    the dead-letter queue of the scheduled runs (expiries, sends) that did not happen."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: LambdaFactory,
        app_table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedule_group = scheduler.CfnScheduleGroup(
            self, "ScheduleGroup", name=SCHEDULE_GROUP_NAME
        )
        self.schedule_group_name = SCHEDULE_GROUP_NAME

        self.expire_function = functions.function(
            self,
            "ExpireFunction",
            folder="expire",
            description="Expires a session when its link's one-time schedule fires",
            environment={"APP_TABLE_NAME": app_table.table_name},
            timeout=Duration.seconds(15),
        )
        app_table.grant_read_write_data(self.expire_function)
        nag.acknowledge_table_indexes(self.expire_function, app_table)

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        nag.acknowledge(
            self.dead_letter_queue,
            "SQS3",
            "This queue is itself a dead-letter queue: of every expiry schedule (Scheduler's "
            "DeadLetterConfig, set per schedule at run time) and of the expire function's async "
            "invocations (on-failure destination). cdk-nag only recognizes queue redrive "
            "policies and Lambda DeadLetterConfig as DLQ use.",
        )
        self.dead_letter_failed_runs(self.expire_function)

        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            description="Assumed by EventBridge Scheduler to invoke the expire function",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
        )
        self.expire_function.grant_invoke(self.scheduler_role)
        nag.acknowledge_function_versions(self.scheduler_role, self.expire_function)
        # Scheduler delivers a schedule's dead-letter event with the schedule's role; sending
        # is all it needs (grant_send_messages would add GetQueueUrl and GetQueueAttributes).
        self.dead_letter_queue.grant(self.scheduler_role, "sqs:SendMessage")

    def dead_letter_failed_runs(self, function: lambda_.Function) -> None:
        """A scheduled run of `function` that keeps failing lands in the dead-letter queue."""
        function.configure_async_invoke(
            retry_attempts=SCHEDULED_RUN_RETRY_ATTEMPTS,
            max_event_age=SCHEDULED_RUN_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )

    @property
    def schedules_arn(self) -> str:
        """ARN pattern of the schedules in the group: ``...:schedule/<group>/*``."""
        return Stack.of(self).format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.schedule_group_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def grant_create_schedules(self, function: lambda_.IFunction) -> None:
        """Let function create expiry schedules in the group and hand them the scheduler role."""
        self._grant_schedules(function, "scheduler:CreateSchedule")
        self.scheduler_role.grant_pass_role(function.grant_principal)

    def grant_delete_schedules(self, function: lambda_.IFunction) -> None:
        """Let function delete expiry schedules in the group."""
        self._grant_schedules(function, "scheduler:DeleteSchedule")

    def _grant_schedules(self, function: lambda_.IFunction, action: str) -> None:
        iam.Grant.add_to_principal(
            grantee=function, actions=[action], resource_arns=[self.schedules_arn]
        )
        # The group is named by a constant, not a reference: make sure it exists first.
        function.node.add_dependency(self.schedule_group)
        nag.acknowledge_wildcard_resource(
            function,
            # schedules_arn as cdk-nag flattens the Fn::Join of the pseudo parameters
            "arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
            f"schedule/{self.schedule_group_name}/*",
            "Schedules are created per session (session-{id}) at run time, so the resource is "
            f"every schedule in the {self.schedule_group_name} group, and only that group.",
        )
