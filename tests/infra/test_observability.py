"""Alarms, the alarm topic, the dashboard, and the expiry dead-letter path in the template."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.app import build_app
from infra.capabilities.observability import (
    BUSINESS_METRICS,
    COMPENSATED_BY_REASON,
    CONFIRM_STEP_METRICS,
    RESCHEDULES_FAILED_PER_HOUR,
)
from tests.infra.test_infra_stack import (
    REPO_ROOT,
    Resources,
    actions_on,
    factory_functions,
    function_id,
    of_type,
    ref,
    role_statements,
    single,
)

# Every metric the dashboard addresses by name and the service that emits it.
SERVICE_METRICS = {**BUSINESS_METRICS, **CONFIRM_STEP_METRICS}


def alarm_topic_id(resources: Resources) -> str:
    topic_id, _ = single(of_type(resources, "AWS::SNS::Topic"))
    return topic_id


def alarms_on(resources: Resources, namespace: str, metric_name: str) -> list[dict[str, Any]]:
    """Properties of the alarms on one metric (single-metric alarms)."""
    return [
        alarm["Properties"]
        for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == namespace
        and alarm["Properties"].get("MetricName") == metric_name
    ]


def dimension(alarm: dict[str, Any], name: str) -> Any:
    [value] = [d["Value"] for d in alarm["Dimensions"] if d["Name"] == name]
    return value


def fires_on_first(alarm: dict[str, Any]) -> bool:
    """The alarm fires on one occurrence (a count >= 1, i.e. > 0) in one period."""
    return bool(
        alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        and alarm["Threshold"] == 1
        and alarm["EvaluationPeriods"] == 1
        and alarm["TreatMissingData"] == "notBreaching"
    )


# --- alarms ------------------------------------------------------------------------------


@pytest.mark.parametrize("metric_name", ["Errors", "Throttles"])
def test_every_function_has_an_errors_and_a_throttles_alarm(synthesized, metric_name):
    resources = synthesized.resources
    alarms = alarms_on(resources, "AWS/Lambda", metric_name)
    watched = {ref(dimension(alarm, "FunctionName")) for alarm in alarms}
    assert watched == set(factory_functions(resources))
    assert len(alarms) == len(watched)
    assert all(fires_on_first(alarm) and alarm["Statistic"] == "Sum" for alarm in alarms)


def test_confirm_workflow_failures_and_timeouts_alarm(synthesized):
    resources = synthesized.resources
    state_machine_id, _ = single(of_type(resources, "AWS::StepFunctions::StateMachine"))
    for metric_name in ("ExecutionsFailed", "ExecutionsTimedOut"):
        [alarm] = alarms_on(resources, "AWS/States", metric_name)
        assert ref(dimension(alarm, "StateMachineArn")) == state_machine_id
        assert fires_on_first(alarm)


def test_every_dead_letter_queue_alarms_on_its_first_message(synthesized):
    # Every queue in this app is a dead-letter queue (nothing else queues work)
    resources = synthesized.resources
    queues = set(of_type(resources, "AWS::SQS::Queue"))
    alarms = alarms_on(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert {ref(dimension(alarm, "QueueName")) for alarm in alarms} == queues
    assert all(fires_on_first(alarm) and alarm["Statistic"] == "Maximum" for alarm in alarms)


def test_failed_reschedules_alarm_above_a_threshold(synthesized):
    template = synthesized.template
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "RescheduleDispatch",
            "MetricName": "ReschedulesFailed",
            "Dimensions": [{"Name": "service", "Value": "confirm_compensate"}],
            "Statistic": "Sum",
            "Period": 3600,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": RESCHEDULES_FAILED_PER_HOUR,
        },
    )


def test_sessions_the_watchdog_cannot_settle_alarm(synthesized):
    synthesized.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "RescheduleDispatch",
            "MetricName": "SessionsStuckUnresolved",
            "Dimensions": [{"Name": "service", "Value": "confirm_watchdog"}],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
        },
    )


def test_every_alarm_notifies_the_alarm_topic_and_says_where_to_look(synthesized):
    resources = synthesized.resources
    topic = {"Ref": alarm_topic_id(resources)}
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    # Errors + throttles per function, workflow failed + timed out, one per DLQ, reschedules
    # failed, the schedule mirror lagging, sessions the watchdog cannot settle
    expected = (
        2 * len(factory_functions(resources)) + 2 + len(of_type(resources, "AWS::SQS::Queue")) + 3
    )
    assert len(alarms) == expected
    for lid, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [topic], lid
        assert props["AlarmName"].startswith("RescheduleDispatch-"), lid
        assert "docs/infra.md, Operations" in props["AlarmDescription"], lid


def test_alarm_topic_is_encrypted_ssl_only_and_open_to_our_alarms_only(synthesized):
    resources = synthesized.resources
    topic_id = alarm_topic_id(resources)
    topic = resources[topic_id]["Properties"]
    key_id = ref(topic["KmsMasterKeyId"])
    key = resources[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True

    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in of_type(resources, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    assert {
        "Effect": "Deny",
        "Action": "sns:Publish",
        "Principal": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= next(s for s in policy if s["Effect"] == "Deny").items()

    # CloudWatch may publish and use the key, only for this account's RescheduleDispatch-* alarms
    for statement in (
        next(s for s in policy if s["Effect"] == "Allow"),
        next(s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchAlarmsPublish"),
    ):
        assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
        }
        source_arn = json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"])
        assert ':alarm:RescheduleDispatch-*"' in source_arn
    assert not of_type(resources, "AWS::SNS::Subscription")  # no alarmEmail in cdk.json


def test_alarm_email_from_context_subscribes_to_the_topic():
    # Given the context key alarmEmail (a second synth)
    _, stack = build_app({"alarmEmail": "ops@example.com"})
    # Then the address is subscribed to the alarm topic
    template = Template.from_stack(stack)
    [topic_id] = template.find_resources("AWS::SNS::Topic")
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": topic_id}},
    )


def test_an_alarm_email_that_is_not_an_address_is_refused():
    with pytest.raises(ValueError, match="alarmEmail"):
        build_app({"alarmEmail": "ops at example dot com"})


# --- business metrics and the dashboard ---------------------------------------------------


@pytest.mark.parametrize("metric_name", sorted(SERVICE_METRICS))
def test_each_business_metric_is_emitted_by_the_service_that_names_it(synthesized, metric_name):
    # Given the service the dashboard and alarms address the metric by (Powertools' dimension)
    service = SERVICE_METRICS[metric_name]
    # Then exactly one function runs as that service, and its handler emits the metric
    [function] = [
        fn
        for fn in factory_functions(synthesized.resources).values()
        if fn["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == service
    ]
    module = function["Properties"]["Handler"].removesuffix(".lambda_handler")
    source = REPO_ROOT / function["Metadata"]["reschedule:source"] / f"{module}.py"
    assert re.search(rf'add_metric\(\s*name="{metric_name}"', source.read_text()), source


def dashboard_body(synthesized) -> str:
    """The dashboard's JSON, each intrinsic written as <LogicalId>."""
    _, dashboard = single(of_type(synthesized.resources, "AWS::CloudWatch::Dashboard"))
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return "".join(p if isinstance(p, str) else f"<{ref(p)}>" for p in parts)


def test_dashboard_shows_the_funnel_the_api_the_workflow_functions_and_dlqs(synthesized):
    resources = synthesized.resources
    widgets = json.loads(dashboard_body(synthesized))["widgets"]
    metrics = [
        metric
        for widget in widgets
        for metric in widget["properties"].get("metrics", [])
        if widget["type"] == "metric"
    ]

    def shown(namespace: str, name: str) -> list[list[Any]]:
        return [m for m in metrics if m[0] == namespace and m[1] == name]

    # Business funnel: sent, viewed, completed, failed, expired (each by its service)
    # and what each confirm step did
    for metric_name, service in SERVICE_METRICS.items():
        assert shown("RescheduleDispatch", metric_name)[0][2:4] == ["service", service]
    # Compensated confirms, a series per reason, by the dimensions compensate emits them with
    searches = [m[0]["expression"] for m in metrics if isinstance(m[0], dict)]
    assert any(
        "{RescheduleDispatch,reason,service}" in e and f'MetricName="{COMPENSATED_BY_REASON}"' in e
        for e in searches
    ), searches
    compensate = (REPO_ROOT / "functions/confirm/compensate.py").read_text()
    assert re.search(rf'single_metric\(\s*name="{COMPENSATED_BY_REASON}"', compensate)
    assert 'add_dimension(name="reason"' in compensate
    # API: 4xx, 5xx and latency p50/p99
    for name in ("4XXError", "5XXError"):
        assert shown("AWS/ApiGateway", name)
    assert {m[-1]["stat"] for m in shown("AWS/ApiGateway", "Latency")} == {"p50", "p99"}
    # Workflow executions
    for name in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"):
        assert shown("AWS/States", name)
    # Errors and duration of every function, and the depth of every dead-letter queue
    functions = {f"<{lid}>" for lid in factory_functions(resources)}
    for name in ("Errors", "Duration"):
        assert {m[3] for m in shown("AWS/Lambda", name)} == functions
    queues = {f"<{lid}>" for lid in of_type(resources, "AWS::SQS::Queue")}
    assert {m[3] for m in shown("AWS/SQS", "ApproximateNumberOfMessagesVisible")} == queues
    # And every alarm's state
    [alarm_widget] = [w for w in widgets if w["type"] == "alarm"]
    assert len(alarm_widget["properties"]["alarms"]) == len(
        of_type(resources, "AWS::CloudWatch::Alarm")
    )


# --- asynchronous invocations: retries and the dead-letter queue --------------------------


def expiry_queue_id(resources: Resources) -> str:
    send_link = resources[function_id(resources, "functions/send_link", "handler.lambda_handler")]
    variables = send_link["Properties"]["Environment"]["Variables"]
    return ref(variables["EXPIRY_DEAD_LETTER_QUEUE_ARN"])


def test_expiry_dead_letter_queue_is_encrypted_ssl_only_and_kept_two_weeks(synthesized):
    resources = synthesized.resources
    queue_id = expiry_queue_id(resources)
    queue = resources[queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    synthesized.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


@pytest.mark.parametrize(
    "scheduled",
    [
        ("functions/expire", "handler.lambda_handler"),
        ("functions/send_link", "handler.lambda_handler"),
    ],
)
def test_scheduled_functions_retry_async_runs_then_dead_letter_them(synthesized, scheduled):
    resources = synthesized.resources
    queue_id = expiry_queue_id(resources)
    scheduled_id = function_id(resources, *scheduled)
    [config] = [
        c["Properties"]
        for c in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()
        if ref(c["Properties"]["FunctionName"]) == scheduled_id
    ]
    assert 0 < config["MaximumRetryAttempts"] <= 2
    assert 60 <= config["MaximumEventAgeInSeconds"] < 6 * 3600  # Lambda's default is 6 h
    assert ref(config["DestinationConfig"]["OnFailure"]["Destination"]) == queue_id
    # And the function may send its failures there
    role_id = ref(resources[scheduled_id]["Properties"]["Role"])
    assert "sqs:SendMessage" in actions_on(role_statements(resources, role_id), queue_id)


def test_scheduler_role_may_dead_letter_and_send_link_names_the_queue(synthesized):
    # The schedules send_link creates name this queue (the adapter's DeadLetterConfig), and
    # Scheduler sends dead-letter events with the schedule's role
    resources = synthesized.resources
    queue_id = expiry_queue_id(resources)
    send_link = resources[function_id(resources, "functions/send_link", "handler.lambda_handler")]
    variables = send_link["Properties"]["Environment"]["Variables"]
    role_id = ref(variables["SCHEDULER_ROLE_ARN"])
    assert "sqs:SendMessage" in actions_on(role_statements(resources, role_id), queue_id)


def test_outputs_name_the_queue_and_the_functions_to_replay_into(synthesized):
    # What docs/infra.md's replay commands read from the stack
    resources = synthesized.resources
    outputs = synthesized.template.to_json()["Outputs"]
    assert ref(outputs["ExpiryDeadLetterQueueUrl"]["Value"]) == expiry_queue_id(resources)
    for output, folder in (
        ("ExpireFunctionName", "expire"),
        ("SendLinkFunctionName", "send_link"),
        ("ProviderChannelsFunctionName", "provider_channels"),
    ):
        named = ref(outputs[output]["Value"])
        assert named == function_id(resources, f"functions/{folder}", "handler.lambda_handler")
