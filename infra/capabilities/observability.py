"""Observability: the alarm topic, the alarms that notify it, and the operations dashboard.

Alarms: confirm workflow executions failed or timed out; each function's errors and throttles;
any message in a dead-letter queue; failed reschedules above a threshold. What each means and
what to do about it: docs/infra.md, "Operations".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.lambda_factory import METRICS_NAMESPACE

# The funnel of a reschedule, as the functions emit it (Powertools EMF). Powertools adds the
# emitting function's service as a dimension, so a metric is addressed by name and service.
BUSINESS_METRICS: dict[str, str] = {
    "LinksSent": "send_link",
    "LinksViewed": "portal",
    "ReschedulesCompleted": "confirm_finalize",
    "ReschedulesFailed": "confirm_compensate",
    "LinksExpired": "expire",
}
# The confirm workflow's steps, by the same rule: what each did, per hour.
CONFIRM_STEP_METRICS: dict[str, str] = {
    "OpeningsHeld": "confirm_hold",
    "AppointmentsRechecked": "confirm_check",
    "AppointmentsMoved": "confirm_move",
    "ConfirmsCompensated": "confirm_compensate",
}
# compensate's count by the step's error, a series per reason (OpeningTaken, AppointmentChanged...).
COMPENSATED_BY_REASON = "ConfirmsCompensatedByReason"
# Failed reschedules (the provider refused the move, or a step broke) in one hour above which
# someone should look: one is a customer's bad luck, several is a provider or code problem.
RESCHEDULES_FAILED_PER_HOUR = 3
# The schedule mirror is read whole every 15 minutes: one missed run is noise, three are not.
MIRROR_LAG_ALARM = Duration.minutes(45)
ALARM_PERIOD = Duration.minutes(5)
OPERATIONS_DOC = "docs/infra.md, Operations"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Observability(Construct):
    """The alarm topic (KMS-encrypted, SSL only), the alarms, and the dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Sequence[lambda_.Function],
        state_machine: sfn.StateMachine,
        dead_letter_queues: Mapping[str, sqs.IQueue],
        rest_api: apigw.RestApi,
        alarm_email: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.alarm_name_prefix = f"{stack.stack_name}-"
        self.alarm_topic = self._alarm_topic(alarm_email)
        self.alarms: list[cloudwatch.Alarm] = []

        self._alarm(
            "WorkflowFailed",
            state_machine.metric_failed(period=ALARM_PERIOD, statistic="Sum"),
            "A confirm workflow execution failed: the provider refused the move (ConfirmFailed, "
            "the session records why) or a step failed after its retries.",
        )
        self._alarm(
            "WorkflowTimedOut",
            state_machine.metric_timed_out(period=ALARM_PERIOD, statistic="Sum"),
            "A confirm workflow execution ran past its timeout; the session may be stuck in "
            "confirming.",
        )
        for function in functions:
            name = function.node.id
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=ALARM_PERIOD, statistic="Sum"),
                f"{name} raised: an invocation ended in an unhandled error.",
            )
            self._alarm(
                f"{name}Throttles",
                function.metric_throttles(period=ALARM_PERIOD, statistic="Sum"),
                f"{name} was throttled: invocations were refused for lack of concurrency.",
            )
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(
                    period=ALARM_PERIOD, statistic="Maximum"
                ),
                f"The {name} dead-letter queue holds events that failed after every retry; "
                "inspect and replay them.",
            )
        self._alarm(
            "ReschedulesFailed",
            business_metric("ReschedulesFailed", Duration.hours(1)),
            f"More than {RESCHEDULES_FAILED_PER_HOUR} reschedules failed in an hour.",
            threshold=RESCHEDULES_FAILED_PER_HOUR,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

        self._alarm(
            "MirrorLagging",
            business_metric(
                "MirrorLagSeconds", Duration.minutes(15), WORST_OF, statistic="Maximum"
            ),
            "A business's schedule mirror was more than 45 minutes behind its provider: "
            "customers may be offered times that are taken (the confirm still re-checks).",
            threshold=MIRROR_LAG_ALARM.to_seconds(),
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

        self._alarm(
            "SessionsStuck",
            business_metric(
                "SessionsStuckUnresolved", Duration.minutes(15), WORST_OF, statistic="Maximum"
            ),
            "A confirming session's workflow stopped and the watchdog could not settle it "
            "(its provider could not be asked, or settling failed) for 15 minutes.",
            threshold=0,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

        self.dashboard = self._dashboard(functions, state_machine, dead_letter_queues, rest_api)

    def _alarm_topic(self, alarm_email: str) -> sns.Topic:
        stack = Stack.of(self)
        # CloudWatch may use the key and the topic only for this stack's alarms, in this account.
        from_our_alarms = {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=f"{self.alarm_name_prefix}*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        # A customer managed key: CloudWatch cannot publish to a topic under the AWS managed
        # SNS key, whose policy cannot be changed.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the Reschedule Dispatch alarm topic",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[cloudwatch_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=from_our_alarms,
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="Reschedule Dispatch alarms",
            master_key=key,
            enforce_ssl=True,
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[cloudwatch_principal],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_our_alarms,
            )
        )
        if alarm_email:
            if not EMAIL.fullmatch(alarm_email):
                raise ValueError(f"alarmEmail {alarm_email!r} is not an email address")
            topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        return topic

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        meaning: str,
        *,
        threshold: float = 1,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            f"{name}Alarm",
            alarm_name=f"{self.alarm_name_prefix}{name}",
            alarm_description=f"{meaning} See {OPERATIONS_DOC}.",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=1,
            # No data means nothing happened: no errors, no failed executions, an empty queue.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        self.alarms.append(alarm)

    def _dashboard(
        self,
        functions: Sequence[lambda_.Function],
        state_machine: sfn.StateMachine,
        dead_letter_queues: Mapping[str, sqs.IQueue],
        rest_api: apigw.RestApi,
    ) -> cloudwatch.Dashboard:
        hourly = Duration.hours(1)
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=Stack.of(self).stack_name
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Links and reschedules (per hour)",
                left=[business_metric(name, hourly) for name in BUSINESS_METRICS],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Confirm workflow executions",
                left=[
                    state_machine.metric_started(statistic="Sum", label="Started"),
                    state_machine.metric_succeeded(statistic="Sum", label="Succeeded"),
                    state_machine.metric_failed(statistic="Sum", label="Failed"),
                    state_machine.metric_timed_out(statistic="Sum", label="Timed out"),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Confirm steps (per hour)",
                left=[
                    business_metric(name, hourly, CONFIRM_STEP_METRICS)
                    for name in CONFIRM_STEP_METRICS
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Compensated confirms, by reason (per hour)",
                left=[
                    cloudwatch.MathExpression(
                        # Every reason there is, without listing them: one series each.
                        expression=(
                            f"SEARCH('{{{METRICS_NAMESPACE},reason,service}} "
                            f"MetricName=\"{COMPENSATED_BY_REASON}\"', 'Sum', {hourly.to_seconds()})"
                        ),
                        label="",
                        period=hourly,
                    )
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API responses: 4xx and 5xx",
                left=[
                    rest_api.metric_client_error(statistic="Sum", label="4xx"),
                    rest_api.metric_server_error(statistic="Sum", label="5xx"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency (ms)",
                left=[
                    rest_api.metric_latency(statistic="p50", label="p50"),
                    rest_api.metric_latency(statistic="p99", label="p99"),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[f.metric_errors(statistic="Sum", label=f.node.id) for f in functions],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p99 (ms)",
                left=[f.metric_duration(statistic="p99", label=f.node.id) for f in functions],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        statistic="Maximum", label=name
                    )
                    for name, queue in dead_letter_queues.items()
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=12),
        )
        return dashboard


# Metrics whose alarms look at the worst run of a period (Maximum), by the function that emits
# them.
WORST_OF = {"MirrorLagSeconds": "schedule_sync", "SessionsStuckUnresolved": "confirm_watchdog"}


def business_metric(
    name: str,
    period: Duration,
    services: Mapping[str, str] = BUSINESS_METRICS,
    statistic: str = "Sum",
) -> cloudwatch.Metric:
    """One of BUSINESS_METRICS (or of another such table), summed (or `statistic`) over
    period."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": services[name]},
        statistic=statistic,
        period=period,
    )
