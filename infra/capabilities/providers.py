"""Scheduling providers: where each business's provider credentials live, and who reads them.

A business connected to Google Calendar, Microsoft Outlook or ServiceTitan has its own
Secrets Manager secret, created when it is connected (docs/providers.md), named under one
prefix. The functions that reach providers may read the secrets under that prefix, and only
those; the business record names which one is its own.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.lambda_factory import LambdaFactory

PROVIDER_SECRETS_PREFIX = "reschedule-dispatch/providers/"
# Channels last days (Google about a week, Graph about three days) and are renewed when one
# or two are left: twice a day gives several tries before any ends.
RENEWAL_INTERVAL = Duration.hours(12)
# The schedule mirror's reconcile: a whole read of each business's provider this often heals
# a missed push within the period; at 50 technicians it costs well under 5 % of each
# provider's quota (docs/performance.md). Customers are read again once a night.
MIRROR_RECONCILE_INTERVAL = Duration.minutes(15)
MIRROR_CUSTOMERS_HOUR_UTC = "8"


def grant_provider_secrets(function: lambda_.IFunction) -> None:
    """Let function read the businesses' provider credentials."""
    arn = Stack.of(function).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{PROVIDER_SECRETS_PREFIX}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    iam.Grant.add_to_principal(
        grantee=function, actions=["secretsmanager:GetSecretValue"], resource_arns=[arn]
    )
    nag.acknowledge_wildcard_resource(
        function,
        "arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
        f"{PROVIDER_SECRETS_PREFIX}*",
        "Each business's provider credentials are a secret of their own, created when the "
        f"business is connected, so the resource is every secret under {PROVIDER_SECRETS_PREFIX} "
        "(and only those); Secrets Manager appends a random suffix to each name.",
    )


def grant_provider_secret_writes(function: lambda_.IFunction) -> None:
    """Let function create, update, restore and (recoverably) delete the businesses'
    provider credentials: connecting and disconnecting from Settings."""
    arn = Stack.of(function).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{PROVIDER_SECRETS_PREFIX}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    iam.Grant.add_to_principal(
        grantee=function,
        actions=[
            "secretsmanager:CreateSecret",
            "secretsmanager:DescribeSecret",  # is it scheduled for deletion? (a reconnect)
            "secretsmanager:PutSecretValue",
            "secretsmanager:RestoreSecret",
            "secretsmanager:DeleteSecret",
        ],
        resource_arns=[arn],
    )


def grant_provider_job(
    function: lambda_.IFunction, app_table: dynamodb.ITable, provider_table: dynamodb.ITable
) -> None:
    """What a scheduled job over every business's provider needs: the app table read and
    written (businesses found with a Scan; what the job keeps), the demo provider's table
    read, and the businesses' provider credentials."""
    app_table.grant_read_write_data(function)
    provider_table.grant_read_data(function)
    nag.acknowledge_table_indexes(function, app_table, provider_table)
    grant_provider_secrets(function)


def on_schedule(
    function: lambda_.IFunction,
    dead_letter_queue: sqs.IQueue,
    payload: dict[str, object] | None = None,
) -> targets.LambdaFunction:
    """An EventBridge rule's target: 2 retries, then the dead-letter queue."""
    return targets.LambdaFunction(
        function,
        event=events.RuleTargetInput.from_object(payload) if payload else None,
        retry_attempts=2,
        dead_letter_queue=dead_letter_queue,
    )


class ProviderChannels(Construct):
    """Twice a day, a function opens or renews the push channels (Google) and subscriptions
    (Graph) of every connected business; a run that keeps failing lands in the dead-letter
    queue, and the next run, hours before any channel ends, tries again."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: LambdaFactory,
        app_table: dynamodb.ITable,
        provider_table: dynamodb.ITable,
        webhook_base_url: str,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.function(
            self,
            "ProviderChannelsFunction",
            folder="provider_channels",
            description="Open and renew scheduling providers' push channels, twice a day",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "PROVIDER_TABLE_NAME": provider_table.table_name,
                "WEBHOOK_BASE_URL": webhook_base_url,
            },
            timeout=Duration.seconds(60),
        )
        grant_provider_job(self.function, app_table, provider_table)  # channels remembered
        self.rule = events.Rule(
            self,
            "TwiceADay",
            description="Keep scheduling providers' push channels open",
            schedule=events.Schedule.rate(RENEWAL_INTERVAL),
            targets=[on_schedule(self.function, dead_letter_queue)],
        )


class ScheduleMirrorSync(Construct):
    """Every 15 minutes a function reads every business's provider whole into the schedule
    mirror (healing any missed push); once a night it reads customers again too. A run that
    keeps failing lands in the dead-letter queue; the next run reads everything anew."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: LambdaFactory,
        app_table: dynamodb.ITable,
        provider_table: dynamodb.ITable,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.function(
            self,
            "ScheduleSyncFunction",
            folder="schedule_sync",
            description="Read every business's schedule into the mirror (reconcile)",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "PROVIDER_TABLE_NAME": provider_table.table_name,
            },
            timeout=Duration.minutes(5),
        )
        grant_provider_job(self.function, app_table, provider_table)  # the mirror written
        self.rule = events.Rule(
            self,
            "Reconcile",
            description="Bring every schedule mirror in step with its provider",
            schedule=events.Schedule.rate(MIRROR_RECONCILE_INTERVAL),
            targets=[on_schedule(self.function, dead_letter_queue)],
        )
        self.nightly_rule = events.Rule(
            self,
            "Nightly",
            description="Read every mirrored business's customers again",
            schedule=events.Schedule.cron(minute="30", hour=MIRROR_CUSTOMERS_HOUR_UTC),
            targets=[on_schedule(self.function, dead_letter_queue, {"reread_customers": True})],
        )
