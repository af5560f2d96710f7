"""The synthesized RescheduleDispatch template keeps the promises of docs/contract.md.

One synth per session (see conftest.py); each test reads the template.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.app import build_app

REPO_ROOT = Path(__file__).resolve().parents[2]

Resources = dict[str, dict[str, Any]]

COMMON_ENV = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "LOG_LEVEL",
    "PYDANTIC_DISABLE_PLUGINS",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE",
}
TABLES = {"APP_TABLE_NAME", "PROVIDER_TABLE_NAME"}

# (metadata reschedule:source, Handler) -> environment variables beyond COMMON_ENV
EXPECTED_FUNCTIONS: dict[tuple[str, str], set[str]] = {
    ("functions/send_link", "handler.lambda_handler"): TABLES
    | {
        "TWILIO_SECRET_ARN",
        "EXPIRE_FUNCTION_ARN",
        "SCHEDULER_ROLE_ARN",
        "SCHEDULE_GROUP_NAME",
        "EXPIRY_DEAD_LETTER_QUEUE_ARN",
        "PUBLIC_BASE_URL",
        "SENDGRID_SECRET_ARN",
    },
    ("functions/dispatcher_api", "handler.lambda_handler"): TABLES | {"PUBLIC_BASE_URL"},
    ("functions/dispatcher_move", "handler.lambda_handler"): TABLES
    | {"PUBLIC_BASE_URL", "CONFIRM_STATE_MACHINE_ARN", "SCHEDULE_GROUP_NAME"},
    ("functions/portal", "handler.lambda_handler"): TABLES
    | {"CONFIRM_STATE_MACHINE_ARN", "UNKNOWN_LINK_LIMIT", "UNKNOWN_LINK_WINDOW_SECONDS"},
    ("functions/session_actions", "handler.lambda_handler"): {
        "APP_TABLE_NAME",
        "TWILIO_SECRET_ARN",
        "SCHEDULE_GROUP_NAME",
        "PUBLIC_BASE_URL",
    },
    ("functions/settings", "handler.lambda_handler"): {"APP_TABLE_NAME"},
    ("functions/team", "handler.lambda_handler"): {"APP_TABLE_NAME", "USER_POOL_ID"},
    ("functions/connections", "handler.lambda_handler"): {
        "APP_TABLE_NAME",
        "OAUTH_APPS_SECRET_ARN",
        "PUBLIC_BASE_URL",
        "CONSOLE_URL",
    },
    ("functions/confirm", "hold.lambda_handler"): {"APP_TABLE_NAME"},
    ("functions/confirm", "check.lambda_handler"): TABLES,
    ("functions/confirm", "move.lambda_handler"): TABLES,
    ("functions/confirm", "finalize.lambda_handler"): {
        "APP_TABLE_NAME",
        "SCHEDULE_GROUP_NAME",
        "TWILIO_SECRET_ARN",
        "SLACK_SECRET_ARN",
        "CONSOLE_URL",
        "SENDGRID_SECRET_ARN",
    },
    ("functions/confirm", "compensate.lambda_handler"): {
        "APP_TABLE_NAME",
        "SLACK_SECRET_ARN",
        "CONSOLE_URL",
    },
    ("functions/confirm", "watchdog.lambda_handler"): {
        "APP_TABLE_NAME",
        "PROVIDER_TABLE_NAME",
        "SCHEDULE_GROUP_NAME",
        "TWILIO_SECRET_ARN",
        "SLACK_SECRET_ARN",
        "CONSOLE_URL",
        "SENDGRID_SECRET_ARN",
    },
    ("functions/expire", "handler.lambda_handler"): {"APP_TABLE_NAME"},
    ("functions/webhooks", "handler.lambda_handler"): {
        "APP_TABLE_NAME",
        "TWILIO_SECRET_ARN",
        "PUBLIC_BASE_URL",
    },
    ("functions/provider_webhooks", "handler.lambda_handler"): TABLES
    | {"SCHEDULE_GROUP_NAME", "SEND_LINK_FUNCTION_NAME", "PUBLIC_BASE_URL"},
    ("functions/provider_channels", "handler.lambda_handler"): TABLES | {"WEBHOOK_BASE_URL"},
    ("functions/schedule_sync", "handler.lambda_handler"): TABLES,
}

DYNAMODB_WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}


# --- template queries -------------------------------------------------------------------


def of_type(resources: Resources, cfn_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in resources.items() if r["Type"] == cfn_type}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def ref(value: Any) -> str:
    """The logical id a Ref or Fn::GetAtt points at."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def function_id(resources: Resources, source: str, handler: str) -> str:
    matches = [
        lid
        for lid, fn in of_type(resources, "AWS::Lambda::Function").items()
        if fn.get("Metadata", {}).get("reschedule:source") == source
        and fn["Properties"]["Handler"] == handler
    ]
    assert len(matches) == 1, f"{source} {handler}: {matches}"
    return matches[0]


def role_statements(resources: Resources, role_id: str) -> list[dict[str, Any]]:
    """Every Allow/Deny statement of the inline and attached policies of one role."""
    statements: list[dict[str, Any]] = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if role_id in [ref(r) for r in policy["Properties"].get("Roles", [])]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    for inline in resources[role_id]["Properties"].get("Policies", []):
        statements += inline["PolicyDocument"]["Statement"]
    return statements


def function_statements(resources: Resources, source: str, handler: str) -> list[dict[str, Any]]:
    fn = resources[function_id(resources, source, handler)]
    return role_statements(resources, ref(fn["Properties"]["Role"]))


def actions_on(statements: list[dict[str, Any]], resource_id: str) -> set[str]:
    """Actions allowed on a resource (its ARN, or a pattern built from its ARN)."""
    found: set[str] = set()
    for statement in statements:
        resources_json = json.dumps(statement["Resource"])
        if statement["Effect"] == "Allow" and f'"{resource_id}"' in resources_json:
            found |= set(as_list(statement["Action"]))
    return found


def all_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def resource_path(resources: Resources, resource_ref: Any) -> str:
    """The full path of an AWS::ApiGateway::Resource, from a Ref (or the root's GetAtt)."""
    if "Fn::GetAtt" in resource_ref:  # the RestApi's RootResourceId
        return ""
    resource = resources[ref(resource_ref)]["Properties"]
    return f"{resource_path(resources, resource['ParentId'])}/{resource['PathPart']}"


def called_function(resources: Resources, uri: Any) -> tuple[str, str | None]:
    """The function a proxy integration's URI calls, and the alias it calls it through."""
    target = ref(uri["Fn::Join"][1][5])
    if resources[target]["Type"] == "AWS::Lambda::Alias":
        alias = resources[target]["Properties"]
        return ref(alias["FunctionName"]), str(alias["Name"])
    return target, None


def routes(resources: Resources) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, path) -> AWS::ApiGateway::Method properties."""
    return {
        (m["Properties"]["HttpMethod"], resource_path(resources, m["Properties"]["ResourceId"])): m[
            "Properties"
        ]
        for m in of_type(resources, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] != "OPTIONS"  # CORS preflights: see their own test
    }


def state_machine_definition(state_machine: dict[str, Any]) -> dict[str, Any]:
    """The ASL with each intrinsic replaced by ``<LogicalId>``."""
    parts = state_machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else f"<{ref(p)}>" for p in parts)
    definition: dict[str, Any] = json.loads(text)
    return definition


def single(mapping: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(mapping) == 1, list(mapping)
    return next(iter(mapping.items()))


def table_ids(resources: Resources) -> dict[str, str]:
    """{"app": logical id, "provider": logical id}."""
    tables = of_type(resources, "AWS::DynamoDB::Table")
    ids = {
        "app": next(lid for lid in tables if "AppTable" in lid),
        "provider": next(lid for lid in tables if "ProviderTable" in lid),
    }
    assert len(tables) == 2
    return ids


# --- Lambda functions -------------------------------------------------------------------


def factory_functions(resources: Resources) -> dict[str, dict[str, Any]]:
    """The product's functions. The one other is CDK's BucketDeployment handler, which copies
    the console's files at deploy time (tests/infra/test_console_hosting.py checks it)."""
    functions = of_type(resources, "AWS::Lambda::Function")
    others = {
        lid for lid, fn in functions.items() if "reschedule:source" not in fn.get("Metadata", {})
    }
    assert all(lid.startswith("CustomCDKBucketDeployment") for lid in others), others
    return {lid: fn for lid, fn in functions.items() if lid not in others}


def test_every_function_comes_from_the_factory(synthesized):
    resources = synthesized.resources
    functions = factory_functions(resources)
    layers = {
        lid
        for lid in of_type(resources, "AWS::Lambda::LayerVersion")
        if "AwsCliLayer" not in lid  # BucketDeployment's (the console's files)
    }
    assert len(functions) == len(EXPECTED_FUNCTIONS)
    for lid, fn in functions.items():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.13", lid
        assert props["Architectures"] == ["arm64"], lid
        assert props["TracingConfig"] == {"Mode": "Active"}, lid
        assert props["MemorySize"] == 512, lid
        # The reconcile and the watchdog go over every business in one run; everything else answers
        # a person or a step within a minute.
        longest = 300 if "ScheduleSync" in lid or "Watchdog" in lid else 60
        assert 3 <= props["Timeout"] <= longest, lid
        assert {ref(layer) for layer in props["Layers"]} == layers, lid
        log_group = resources[ref(props["LoggingConfig"]["LogGroup"])]
        assert log_group["Type"] == "AWS::Logs::LogGroup", lid
        assert log_group["Properties"]["RetentionInDays"] > 0, lid
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "RescheduleDispatch", lid
        assert env["LOG_LEVEL"] == "INFO", lid
        assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__", lid
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false", lid
        assert env["POWERTOOLS_SERVICE_NAME"], lid


def test_functions_match_the_contract_table(synthesized):
    resources = synthesized.resources
    found = {
        (fn["Metadata"]["reschedule:source"], fn["Properties"]["Handler"]): set(
            fn["Properties"]["Environment"]["Variables"]
        )
        for fn in factory_functions(resources).values()
    }
    assert found == {key: env | COMMON_ENV for key, env in EXPECTED_FUNCTIONS.items()}
    for source, handler in EXPECTED_FUNCTIONS:
        module = handler.removesuffix(".lambda_handler")
        assert (REPO_ROOT / source / f"{module}.py").is_file(), (source, handler)


def test_same_variable_name_means_same_value(synthesized):
    resources = synthesized.resources
    tables = table_ids(resources)
    values: dict[str, set[str]] = {}
    for fn in of_type(resources, "AWS::Lambda::Function").values():
        for name, value in fn["Properties"]["Environment"]["Variables"].items():
            if name != "POWERTOOLS_SERVICE_NAME":
                values.setdefault(name, set()).add(json.dumps(value, sort_keys=True))
    assert all(len(v) == 1 for v in values.values()), values
    env = resources[function_id(resources, "functions/send_link", "handler.lambda_handler")]
    variables = env["Properties"]["Environment"]["Variables"]
    assert ref(variables["APP_TABLE_NAME"]) == tables["app"]
    assert ref(variables["PROVIDER_TABLE_NAME"]) == tables["provider"]
    assert variables["SCHEDULE_GROUP_NAME"] == "reschedule-dispatch-links"
    assert variables["PUBLIC_BASE_URL"] == ""
    expire_id = function_id(resources, "functions/expire", "handler.lambda_handler")
    assert ref(variables["EXPIRE_FUNCTION_ARN"]) == expire_id
    secret = resources[ref(variables["TWILIO_SECRET_ARN"])]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    portal = resources[function_id(resources, "functions/portal", "handler.lambda_handler")]
    state_machine_ref = portal["Properties"]["Environment"]["Variables"][
        "CONFIRM_STATE_MACHINE_ARN"
    ]
    assert resources[ref(state_machine_ref)]["Type"] == "AWS::StepFunctions::StateMachine"


def test_public_base_url_comes_from_context():
    # Given the context key publicBaseUrl (a second synth, so the cost of one more stack)
    _, stack = build_app({"publicBaseUrl": "https://reschedule.example.com"})
    # When synthesized
    resources = Template.from_stack(stack).to_json()["Resources"]
    # Then every function that builds links gets it
    with_base_url = {
        fn["Metadata"]["reschedule:source"]
        for fn in of_type(resources, "AWS::Lambda::Function").values()
        if fn["Properties"]["Environment"]["Variables"].get("PUBLIC_BASE_URL")
        == "https://reschedule.example.com"
    }
    assert with_base_url == {
        "functions/dispatcher_api",
        "functions/dispatcher_move",
        "functions/send_link",
        "functions/session_actions",
        "functions/webhooks",
        "functions/provider_webhooks",
        "functions/connections",  # the OAuth callback's address
    }


# --- Tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "indexes"), [("app", ["gsi1"]), ("provider", ["gsi1", "gsi2"])])
def test_tables_have_the_contract_key_design(synthesized, table, indexes):
    resources = synthesized.resources
    props = resources[table_ids(resources)[table]]["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    index_keys = {(f"{i}{k}", "S") for i in indexes for k in ("pk", "sk")}
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == {
        ("pk", "S"),
        ("sk", "S"),
    } | index_keys
    assert [gsi["IndexName"] for gsi in props["GlobalSecondaryIndexes"]] == indexes
    for gsi in props["GlobalSecondaryIndexes"]:
        name = gsi["IndexName"]
        assert gsi["KeySchema"] == [
            {"AttributeName": f"{name}pk", "KeyType": "HASH"},
            {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
        ]
        assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_app_table_is_retained(synthesized):
    resources = synthesized.resources
    app_table = resources[table_ids(resources)["app"]]
    assert app_table["DeletionPolicy"] == "Retain"
    assert app_table["UpdateReplacePolicy"] == "Retain"


# --- API --------------------------------------------------------------------------------


def test_api_routes_and_their_authorization(synthesized):
    resources = synthesized.resources
    found = routes(resources)
    authorizer_id, authorizer = single(of_type(resources, "AWS::ApiGateway::Authorizer"))
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"

    expected = {
        ("GET", "/api/customers"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/api/appointments/{id}/openings"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("POST", "/api/appointments/{id}/move"): ("COGNITO_USER_POOLS", "dispatcher_move"),
        ("POST", "/api/appointments/{id}/move/check"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/api/appointments/{id}/timeline"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/api/me"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/api/schedule"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("POST", "/api/messages/preview"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/api/settings"): ("COGNITO_USER_POOLS", "settings"),
        ("PUT", "/api/settings"): ("COGNITO_USER_POOLS", "settings"),
        ("POST", "/api/signup"): ("NONE", "team"),
        ("GET", "/api/team"): ("COGNITO_USER_POOLS", "team"),
        ("POST", "/api/team"): ("COGNITO_USER_POOLS", "team"),
        ("DELETE", "/api/team/{email}"): ("COGNITO_USER_POOLS", "team"),
        ("POST", "/api/connections/{kind}/start"): ("COGNITO_USER_POOLS", "connections"),
        ("DELETE", "/api/connections"): ("COGNITO_USER_POOLS", "connections"),
        ("GET", "/api/connections/callback"): ("NONE", "connections"),
        ("POST", "/api/sessions"): ("COGNITO_USER_POOLS", "send_link"),
        ("GET", "/api/sessions"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/api/sessions/{id}"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("POST", "/api/sessions/{id}/resend"): ("COGNITO_USER_POOLS", "session_actions"),
        ("POST", "/api/sessions/{id}/cancel"): ("COGNITO_USER_POOLS", "session_actions"),
        ("GET", "/r/{token}"): ("NONE", "portal"),
        ("POST", "/r/{token}/viewed"): ("NONE", "portal"),
        ("GET", "/r/{token}/calendar.ics"): ("NONE", "portal"),
        ("GET", "/r/invite/{token}"): ("NONE", "portal"),
        ("POST", "/r/{token}/confirm"): ("NONE", "portal"),
        ("POST", "/r/{token}/open"): ("NONE", "portal"),
        ("POST", "/r/{token}/unlock"): ("NONE", "portal"),
        ("POST", "/webhooks/twilio/status"): ("NONE", "webhooks"),
        ("POST", "/webhooks/twilio/inbound"): ("NONE", "webhooks"),
        ("POST", "/webhooks/providers/{provider}"): ("NONE", "provider_webhooks"),
        ("GET", "/api/suggestions"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("POST", "/api/suggestions/{id}/dismiss"): ("COGNITO_USER_POOLS", "session_actions"),
        ("GET", "/api/provider"): ("COGNITO_USER_POOLS", "dispatcher_api"),
        ("GET", "/health"): ("NONE", None),
    }
    assert set(found) == set(expected)
    for route, (authorization, folder) in expected.items():
        method = found[route]
        assert method["AuthorizationType"] == authorization, route
        if authorization == "COGNITO_USER_POOLS":
            assert ref(method["AuthorizerId"]) == authorizer_id, route
        else:
            assert "AuthorizerId" not in method, route
        integration = method["Integration"]
        if folder is None:
            assert integration["Type"] == "MOCK"
            response = integration["IntegrationResponses"][0]
            assert response["StatusCode"] == "200"
            assert json.loads(response["ResponseTemplates"]["application/json"]) == {"status": "ok"}
            continue
        assert integration["Type"] == "AWS_PROXY", route
        function, alias = called_function(resources, integration["Uri"])
        target = resources[function]
        assert target["Metadata"]["reschedule:source"] == f"functions/{folder}"
        # the customer's page is entered through its SnapStart snapshot, nothing else is
        assert alias == ("live" if folder == "portal" else None), route
        # the function answers before API Gateway's 29 s integration timeout
        assert target["Properties"]["Timeout"] < 29, route


def test_the_deployed_api_has_no_dev_route(synthesized):
    # /dev/clock (time travel), /dev/token (sign-in) and the sandboxes are the local stack's
    paths = [path for _, path in routes(synthesized.resources)]
    assert paths
    assert not [p for p in paths if p == "/dev" or p.startswith("/dev/")]
    parts = of_type(synthesized.resources, "AWS::ApiGateway::Resource")
    assert "dev" not in {r["Properties"]["PathPart"] for r in parts.values()}


def test_api_stage_logs_and_throttles_and_keeps_tokens_out_of_traces(synthesized):
    resources = synthesized.resources
    stage_id, stage = single(of_type(resources, "AWS::ApiGateway::Stage"))
    props = stage["Properties"]
    assert props["StageName"] == "prod"
    # API Gateway's own trace would record /r/{token}: the functions trace instead
    assert props.get("TracingEnabled", False) is False
    assert "AccessLogSetting" in props
    [settings] = props["MethodSettings"]
    assert settings["HttpMethod"] == "*"
    assert settings["ResourcePath"] == "/*"
    assert settings["LoggingLevel"] in {"ERROR", "INFO"}
    assert settings["DataTraceEnabled"] is False
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] > 0
    _, validator = single(of_type(resources, "AWS::ApiGateway::RequestValidator"))
    assert validator["Properties"]["ValidateRequestParameters"] is True

    _, association = single(of_type(resources, "AWS::WAFv2::WebACLAssociation"))
    assert stage_id in json.dumps(association["Properties"]["ResourceArn"])
    _, web_acl = single(of_type(resources, "AWS::WAFv2::WebACL"))
    statements = [rule["Statement"] for rule in web_acl["Properties"]["Rules"]]
    assert {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"} in [
        s.get("ManagedRuleGroupStatement") for s in statements
    ]
    assert any("RateBasedStatement" in s for s in statements)


def test_waf_limits_each_ip_on_the_customer_link_routes_only(synthesized):
    resources = synthesized.resources
    _, web_acl = single(of_type(resources, "AWS::WAFv2::WebACL"))
    props = web_acl["Properties"]
    [rule] = [r for r in props["Rules"] if r["Name"] == "CustomerLinksRatePerIp"]
    rate = rule["Statement"]["RateBasedStatement"]
    # Scoped to paths starting with /r/ (with or without the stage in front), nothing else
    matches = [
        s["ByteMatchStatement"] for s in rate["ScopeDownStatement"]["OrStatement"]["Statements"]
    ]
    assert {m["SearchString"] for m in matches} == {"/r/", "/prod/r/"}
    for match in matches:
        assert match["FieldToMatch"] == {"UriPath": {}}
        assert match["PositionalConstraint"] == "STARTS_WITH"
        assert {"Priority": 0, "Type": "URL_DECODE"} in match["TextTransformations"]
    # Per IP, over the application's window, above what the application allows in unknown links
    portal = resources[function_id(resources, "functions/portal", "handler.lambda_handler")]
    app_limits = portal["Properties"]["Environment"]["Variables"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["EvaluationWindowSec"] == int(app_limits["UNKNOWN_LINK_WINDOW_SECONDS"])
    assert rate["Limit"] == 10 * int(app_limits["UNKNOWN_LINK_LIMIT"]) == 100
    # Blocked with 429, Retry-After and a page of its own, not WAF's bare 403
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    assert response["ResponseHeaders"] == [
        {"Name": "Retry-After", "Value": app_limits["UNKNOWN_LINK_WINDOW_SECONDS"]}
    ]
    body = props["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "TEXT_HTML"
    assert "Too many" in body["Content"]
    # After the common rule set and the general per-IP limit, which stay as they were
    assert [r["Name"] for r in sorted(props["Rules"], key=lambda r: r["Priority"])] == [
        "AWSManagedRulesCommonRuleSet",
        "RateLimitPerIp",
        "CustomerLinksRatePerIp",
    ]


def test_user_pool_is_for_invited_dispatchers(synthesized):
    resources = synthesized.resources
    _, pool = single(of_type(resources, "AWS::Cognito::UserPool"))
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["MfaConfiguration"] == "ON"
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[k]
        for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    business_id = next(a for a in props["Schema"] if a["Name"] == "business_id")
    assert business_id["Mutable"] is False
    _, client = single(of_type(resources, "AWS::Cognito::UserPoolClient"))
    assert "custom:business_id" in client["Properties"]["ReadAttributes"]
    assert "custom:business_id" not in client["Properties"]["WriteAttributes"]
    assert client["Properties"]["GenerateSecret"] is False


# --- Confirm workflow -------------------------------------------------------------------


def test_confirm_state_machine_shape(synthesized):
    resources = synthesized.resources
    _, state_machine = single(of_type(resources, "AWS::StepFunctions::StateMachine"))
    props = state_machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    # events without their data: a cause may carry a customer's number, unmasked
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False

    definition = state_machine_definition(state_machine)
    states = definition["States"]

    def step(handler: str) -> str:
        return f"<{function_id(resources, 'functions/confirm', handler)}>"

    # Hold -> Check -> Move -> Finalize -> Confirmed; each task's result is the return value.
    assert definition["StartAt"] == "HoldOpening"
    chain = ["HoldOpening", "CheckAppointment", "MoveAppointment", "FinalizeSession"]
    handlers = ["hold", "check", "move", "finalize"]
    for name, following, handler in zip(chain, [*chain[1:], "Confirmed"], handlers, strict=True):
        assert states[name]["Resource"] == step(f"{handler}.lambda_handler"), name
        assert states[name]["Next"] == following, name
    assert states["Confirmed"]["Type"] == "Succeed"
    assert states["MoveAppointment"]["ResultPath"] == "$.moved"  # the original input is kept
    assert states["HoldOpening"]["ResultPath"] is None  # results discarded, input passed on

    # Transient provider errors retry with exponential backoff and full jitter.
    for name in ("CheckAppointment", "MoveAppointment"):
        provider_retry = states[name]["Retry"][0]
        assert provider_retry["ErrorEquals"] == [
            "ProviderUnavailable",
            "ProviderRateLimited",
            "States.Timeout",
        ]
        assert provider_retry["MaxAttempts"] >= 3
        assert provider_retry["BackoffRate"] >= 2
        assert provider_retry["JitterStrategy"] == "FULL"
    for name in [*chain, "Compensate"]:
        assert any("Lambda.ServiceException" in r["ErrorEquals"] for r in states[name]["Retry"])
    # Finalize and Compensate try any failure of theirs again (a transaction conflict, a
    # throttle), after the Lambda service's own: a session is not left confirming by a blip.
    for name in ("FinalizeSession", "Compensate"):
        *_, finishing = states[name]["Retry"]
        assert finishing["ErrorEquals"] == ["States.TaskFailed"]
        assert finishing["MaxAttempts"] >= 3
        assert finishing["MaxDelaySeconds"] <= 60
        assert finishing["JitterStrategy"] == "FULL"
    for name in ("HoldOpening", "CheckAppointment", "MoveAppointment"):
        assert all("States.TaskFailed" not in r["ErrorEquals"] for r in states[name]["Retry"])

    # Anything before Move is undone by Compensate
    for name in ("HoldOpening", "CheckAppointment"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Compensate"}
        ]
    # A failed Move goes to the watchdog with its error (SettleMove): moved after all, it is
    # finalized (Confirmed); half moved, put back; then failed, or picked again
    assert states["MoveAppointment"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "SettleMove"}
    ]
    settle_move = states["SettleMove"]
    assert settle_move["Resource"] == step("watchdog.lambda_handler")
    assert settle_move["Parameters"] == {
        "session_id.$": "$.session_id",
        "error.$": "$.error.Error",
    }
    assert settle_move["ResultPath"] == "$.compensation"
    assert any("States.TaskFailed" in r["ErrorEquals"] for r in settle_move["Retry"])
    outcome = states[settle_move["Next"]]
    assert {(c["StringEquals"], c["Next"]) for c in outcome["Choices"]} == {
        ("completed", "Confirmed"),
        ("viewed", "PickAgain"),
    }
    assert states[outcome["Default"]]["Type"] == "Fail"
    # The provider could not be asked: the session stays for the watchdog's round
    [unsettled] = settle_move["Catch"]
    assert states[unsettled["Next"]] == {
        "Type": "Fail",
        "Error": "MoveUnsettled",
        "Cause": states[unsettled["Next"]]["Cause"],
    }
    # Finalize and Compensate, past their retries, hand the session to the watchdog (Settle),
    # which finalizes or fails it by where the provider has the appointment; then the
    # execution fails, for the alarm
    for name in ("FinalizeSession", "Compensate"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Settle"}
        ]
    settle = states["Settle"]
    assert settle["Resource"] == step("watchdog.lambda_handler")
    assert settle["Parameters"] == {"session_id.$": "$.session_id"}
    assert settle["Next"] == "FinishingFailed"
    assert settle["Catch"][0]["Next"] == "FinishingFailed"
    assert states["FinishingFailed"]["Type"] == "Fail"

    compensate = states["Compensate"]
    assert compensate["Resource"] == step("compensate.lambda_handler")
    choice = states[compensate["Next"]]
    assert choice["Type"] == "Choice"
    [again] = choice["Choices"]
    assert again == {
        "Variable": "$.compensation.status",
        "StringEquals": "viewed",
        "Next": "PickAgain",
    }
    assert states["PickAgain"]["Type"] == "Succeed"
    assert states[choice["Default"]]["Type"] == "Fail"


def test_the_watchdog_runs_every_five_minutes_on_this_machine_and_only_describes_its_executions(
    synthesized,
):
    resources = synthesized.resources
    machine_id, _ = single(of_type(resources, "AWS::StepFunctions::StateMachine"))
    watchdog = function_id(resources, "functions/confirm", "watchdog.lambda_handler")
    [rule] = [
        r["Properties"]
        for r in of_type(resources, "AWS::Events::Rule").values()
        if ref(r["Properties"]["Targets"][0]["Arn"]) == watchdog
    ]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    [target] = rule["Targets"]
    # the payload names the machine (the function cannot: the machine invokes it)
    payload = target["Input"]["Fn::Join"][1]
    assert any(isinstance(p, dict) and ref(p) == machine_id for p in payload)
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert "DeadLetterConfig" in target
    # DescribeExecution on this machine's executions, and no more
    statements = function_statements(resources, "functions/confirm", "watchdog.lambda_handler")
    [describe] = [s for s in statements if "states:DescribeExecution" in as_list(s["Action"])]
    assert as_list(describe["Action"]) == ["states:DescribeExecution"]
    resource = json.dumps(describe["Resource"])
    assert ":execution:" in resource
    assert machine_id in resource


def test_state_machine_role_invokes_only_the_confirm_functions(synthesized):
    resources = synthesized.resources
    _, state_machine = single(of_type(resources, "AWS::StepFunctions::StateMachine"))
    statements = role_statements(resources, ref(state_machine["Properties"]["RoleArn"]))
    invoked = {
        ref(r)
        for s in statements
        if "lambda:InvokeFunction" in as_list(s["Action"])
        for r in as_list(s["Resource"])
        if "Fn::GetAtt" in r
    }
    assert invoked == {
        function_id(resources, "functions/confirm", handler)
        for handler in (
            "hold.lambda_handler",
            "check.lambda_handler",
            "move.lambda_handler",
            "finalize.lambda_handler",
            "compensate.lambda_handler",
            "watchdog.lambda_handler",
        )
    }


# --- Expiry -----------------------------------------------------------------------------


def test_schedule_group_and_scheduler_role(synthesized):
    resources = synthesized.resources
    _, group = single(of_type(resources, "AWS::Scheduler::ScheduleGroup"))
    assert group["Properties"]["Name"] == "reschedule-dispatch-links"

    send_link = resources[function_id(resources, "functions/send_link", "handler.lambda_handler")]
    role_id = ref(send_link["Properties"]["Environment"]["Variables"]["SCHEDULER_ROLE_ARN"])
    trust = resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    expire = function_id(resources, "functions/expire", "handler.lambda_handler")
    dead_letters = ref(
        send_link["Properties"]["Environment"]["Variables"]["EXPIRY_DEAD_LETTER_QUEUE_ARN"]
    )
    statements = role_statements(resources, role_id)
    # It invokes the expire function, and send_link for the links held past quiet hours,
    # and sends what it could not deliver to the DLQ
    send_link_id = function_id(resources, "functions/send_link", "handler.lambda_handler")
    assert all_actions(statements) == {"lambda:InvokeFunction", "sqs:SendMessage"}
    assert actions_on(statements, expire) == {"lambda:InvokeFunction"}
    assert actions_on(statements, send_link_id) == {"lambda:InvokeFunction"}
    assert actions_on(statements, dead_letters) == {"sqs:SendMessage"}
    assert {ref(r) for s in statements for r in as_list(s["Resource"]) if "Fn::GetAtt" in r} == {
        expire,
        send_link_id,
        dead_letters,
    }


def scheduler_grants(resources: Resources) -> dict[tuple[str, str], set[str]]:
    grants = {}
    for source, handler in EXPECTED_FUNCTIONS:
        statements = function_statements(resources, source, handler)
        actions = {a for a in all_actions(statements) if a.startswith(("scheduler:", "iam:"))}
        if actions:
            grants[(source, handler)] = actions
    return grants


def test_only_send_link_creates_and_only_closing_steps_delete_schedules(synthesized):
    resources = synthesized.resources
    assert scheduler_grants(resources) == {
        ("functions/send_link", "handler.lambda_handler"): {
            "scheduler:CreateSchedule",
            "iam:PassRole",
        },
        ("functions/confirm", "finalize.lambda_handler"): {"scheduler:DeleteSchedule"},
        # finalizing a session whose workflow stopped
        ("functions/confirm", "watchdog.lambda_handler"): {"scheduler:DeleteSchedule"},
        ("functions/session_actions", "handler.lambda_handler"): {"scheduler:DeleteSchedule"},
        # An open link ends when its appointment changes in the provider.
        ("functions/provider_webhooks", "handler.lambda_handler"): {"scheduler:DeleteSchedule"},
        # a dispatcher's move closes the appointment's open link
        ("functions/dispatcher_move", "handler.lambda_handler"): {"scheduler:DeleteSchedule"},
    }
    for source, handler in scheduler_grants(resources):
        for statement in function_statements(resources, source, handler):
            if any(str(a).startswith("scheduler:") for a in as_list(statement["Action"])):
                arn = "".join(
                    p if isinstance(p, str) else "${" + p["Ref"] + "}"
                    for p in statement["Resource"]["Fn::Join"][1]
                )
                assert arn == (
                    "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:"
                    "schedule/reschedule-dispatch-links/*"
                )


# --- Least privilege --------------------------------------------------------------------


def test_dispatcher_api_only_reads(synthesized):
    resources = synthesized.resources
    statements = function_statements(
        resources, "functions/dispatcher_api", "handler.lambda_handler"
    )
    tables = table_ids(resources)
    assert "dynamodb:Query" in actions_on(statements, tables["app"])
    assert not all_actions(statements) & DYNAMODB_WRITES
    assert not {a for a in all_actions(statements) if a.startswith("states:")}
    # Secrets: only the businesses' provider credentials (test_provider_secrets_readers).
    assert {a for a in all_actions(statements) if a.startswith("secrets")} == {
        "secretsmanager:GetSecretValue"
    }


def provider_secret_readers(resources: Resources) -> dict[tuple[str, str], list[str]]:
    """Each function that may read provider credentials, and the ARNs it may read them at."""
    readers: dict[tuple[str, str], list[str]] = {}
    for key in EXPECTED_FUNCTIONS:
        for statement in function_statements(resources, *key):
            arn = json.dumps(statement["Resource"])
            if "reschedule-dispatch/providers/" in arn:
                if key[0] == "functions/connections" and as_list(statement["Action"]) != [
                    "secretsmanager:GetSecretValue"
                ]:
                    # connecting and disconnecting from Settings: read and write (CDK merges
                    # the two grants on the one resource)
                    assert sorted(as_list(statement["Action"])) == [
                        "secretsmanager:CreateSecret",
                        "secretsmanager:DeleteSecret",
                        "secretsmanager:DescribeSecret",
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:RestoreSecret",
                    ]
                    readers.setdefault(key, []).append(arn)
                    continue
                assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
                readers.setdefault(key, []).append(arn)
    return readers


def test_provider_secrets_readers(synthesized):
    # Given the functions that call scheduling providers
    readers = provider_secret_readers(synthesized.resources)
    # Then exactly those read the businesses' provider credentials, under the one prefix
    assert set(readers) == {
        ("functions/send_link", "handler.lambda_handler"),
        ("functions/dispatcher_api", "handler.lambda_handler"),
        ("functions/portal", "handler.lambda_handler"),
        ("functions/provider_webhooks", "handler.lambda_handler"),
        ("functions/dispatcher_move", "handler.lambda_handler"),
        ("functions/confirm", "watchdog.lambda_handler"),
        ("functions/confirm", "check.lambda_handler"),
        ("functions/confirm", "move.lambda_handler"),
        ("functions/provider_channels", "handler.lambda_handler"),
        ("functions/schedule_sync", "handler.lambda_handler"),
        # reads a reconnected business's secret; writes it (grant_provider_secret_writes)
        ("functions/connections", "handler.lambda_handler"),
    }
    for arns in readers.values():
        assert len(arns) == 1
        assert ':secret:reschedule-dispatch/providers/*"' in arns[0]


def test_portal_starts_the_confirm_workflow(synthesized):
    resources = synthesized.resources
    state_machine_id, _ = single(of_type(resources, "AWS::StepFunctions::StateMachine"))
    statements = function_statements(resources, "functions/portal", "handler.lambda_handler")
    assert actions_on(statements, state_machine_id) == {"states:StartExecution"}
    assert not actions_on(statements, table_ids(resources)["provider"]) & DYNAMODB_WRITES
    starters = [
        key
        for key in EXPECTED_FUNCTIONS
        if "states:StartExecution" in all_actions(function_statements(resources, *key))
    ]
    assert set(starters) == {
        ("functions/portal", "handler.lambda_handler"),
        ("functions/dispatcher_move", "handler.lambda_handler"),  # a dispatcher's move
    }


def messaging_secret(resources: dict, vendor: str) -> tuple[str, dict]:
    """The Messaging construct's secret for one vendor (Twilio, SendGrid, Slack)."""
    return single(
        {
            logical_id: resource
            for logical_id, resource in of_type(resources, "AWS::SecretsManager::Secret").items()
            if logical_id.startswith(f"Messaging{vendor}Secret")
        }
    )


@pytest.mark.parametrize(
    ("vendor", "expected_readers"),
    [
        (
            "Twilio",
            {
                ("functions/send_link", "handler.lambda_handler"),
                ("functions/session_actions", "handler.lambda_handler"),
                ("functions/webhooks", "handler.lambda_handler"),
                ("functions/confirm", "finalize.lambda_handler"),
                ("functions/confirm", "watchdog.lambda_handler"),  # finalizing a stuck session
            },
        ),
        (
            "SendGrid",
            {
                ("functions/send_link", "handler.lambda_handler"),
                ("functions/confirm", "finalize.lambda_handler"),  # a move's invitation
                ("functions/confirm", "watchdog.lambda_handler"),
            },
        ),
        (
            "Slack",
            {
                ("functions/confirm", "finalize.lambda_handler"),
                ("functions/confirm", "compensate.lambda_handler"),
                ("functions/confirm", "watchdog.lambda_handler"),
            },
        ),
    ],
)
def test_only_each_channels_users_read_its_secret(synthesized, vendor, expected_readers):
    resources = synthesized.resources
    secret_id, _ = messaging_secret(resources, vendor)
    readers = {
        key
        for key in EXPECTED_FUNCTIONS
        if "secretsmanager:GetSecretValue"
        in actions_on(function_statements(resources, *key), secret_id)
    }
    assert readers == expected_readers


def test_provider_table_writes_only_from_the_move_step(synthesized):
    resources = synthesized.resources
    provider = table_ids(resources)["provider"]
    writers = {
        key
        for key in EXPECTED_FUNCTIONS
        if actions_on(function_statements(resources, *key), provider) & DYNAMODB_WRITES
    }
    assert writers == {("functions/confirm", "move.lambda_handler")}


def test_no_managed_policies_or_wildcard_actions_on_function_roles(synthesized):
    resources = synthesized.resources
    for key in EXPECTED_FUNCTIONS:
        fn = resources[function_id(resources, *key)]
        role = resources[ref(fn["Properties"]["Role"])]
        assert "ManagedPolicyArns" not in role["Properties"], key
        assert not [a for a in all_actions(function_statements(resources, *key)) if "*" in a]


# --- Secret, outputs, validation ------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "generated_key", "template_keys"),
    [
        ("Twilio", "auth_token", {"account_sid"}),
        ("SendGrid", "api_key", set()),
        ("Slack", "bot_token", set()),
    ],
)
def test_messaging_secrets_are_generated_with_the_expected_keys(
    synthesized, vendor, generated_key, template_keys
):
    _, secret = messaging_secret(synthesized.resources, vendor)
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == generated_key
    assert set(json.loads(generated["SecretStringTemplate"])) == template_keys


def test_outputs(synthesized):
    outputs = synthesized.template.to_json()["Outputs"]
    assert {
        "ApiUrl",
        "UserPoolId",
        "UserPoolClientId",
        "AppTableName",
        "ProviderTableName",
        "ConfirmStateMachineArn",
    } <= set(outputs)


def iter_violations(report: Any) -> Iterator[str]:
    for violation in report.violations:
        for resource in violation.violating_resources:
            yield f"{violation.rule_name} at {resource.construct_path}: {violation.description}"


def test_cdk_nag_has_no_unacknowledged_findings(synthesized):
    assert list(iter_violations(synthesized.nag_report)) == []
    assert synthesized.nag_report.success is True


def test_cdk_nag_pack_does_report_findings():
    # Given a stack with a secret nobody acknowledged (guards against a silent no-op pack)
    app = App()
    stack = Stack(app, "NagCanary")
    secretsmanager.Secret(stack, "Unrotated")
    # When the AwsSolutions pack checks it
    report = AwsSolutionsChecks().validate_scope(app)
    # Then it reports the missing rotation
    assert any("AwsSolutions-SMG4" in line for line in iter_violations(report))


def test_no_cdk_errors_or_warnings(synthesized):
    annotations = Annotations.from_stack(synthesized.stack)
    assert annotations.find_error("*", Match.any_value()) == []
    assert annotations.find_warning("*", Match.any_value()) == []


def test_travel_is_offline_by_default(synthesized):
    resources = synthesized.resources
    assert not of_type(resources, "AWS::Location::RouteCalculator")
    for fn in of_type(resources, "AWS::Lambda::Function").values():
        assert "ROUTE_CALCULATOR_NAME" not in fn["Properties"]["Environment"]["Variables"]


def test_amazon_location_travel_is_an_opt_in_with_least_privilege():
    # Given the context key travelModel=amazon-location
    _, stack = build_app({"travelModel": "amazon-location"})
    resources = Template.from_stack(stack).to_json()["Resources"]
    # Then one route calculator exists
    [calculator] = of_type(resources, "AWS::Location::RouteCalculator").values()
    name = calculator["Properties"]["CalculatorName"]
    # And exactly the functions that compute openings or write the schedule mirror (its
    # weeks keep the drives between stops) use it, and may only calculate routes
    users = sorted(
        fn["Metadata"]["reschedule:source"]
        + ":"
        + fn["Properties"]["Handler"].partition(".")[0].rpartition("/")[2]
        for fn in of_type(resources, "AWS::Lambda::Function").values()
        if fn["Properties"]["Environment"]["Variables"].get("ROUTE_CALCULATOR_NAME") == name
    )
    assert users == [
        "functions/confirm:check",
        "functions/confirm:move",
        "functions/dispatcher_api:handler",
        "functions/dispatcher_move:handler",
        "functions/portal:handler",
        "functions/provider_webhooks:handler",
        "functions/schedule_sync:handler",
    ]
    geo_statements = [
        statement
        for policy in of_type(resources, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(str(a).startswith("geo:") for a in as_list(statement["Action"]))
    ]
    assert len(geo_statements) == len(users)
    for statement in geo_statements:
        assert statement["Action"] == "geo:CalculateRouteMatrix"
        assert name in json.dumps(statement["Resource"])


def test_an_unknown_travel_model_is_refused():
    with pytest.raises(ValueError, match="travelModel"):
        build_app({"travelModel": "carrier-pigeon"})


def test_console_api_answers_cors_preflights_without_credentials(synthesized):
    resources = synthesized.resources
    preflights = [
        m["Properties"]
        for m in of_type(resources, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    # Exactly one preflight per resource under /api, and none anywhere else: the customer's
    # pages and the webhooks are same-origin or server-to-server
    all_paths = {
        resource_path(resources, {"Ref": logical_id})
        for logical_id in of_type(resources, "AWS::ApiGateway::Resource")
    }
    preflight_paths = [resource_path(resources, m["ResourceId"]) for m in preflights]
    assert sorted(preflight_paths) == sorted(p for p in all_paths if p.startswith("/api"))
    for method in preflights:
        assert method["AuthorizationType"] == "NONE"
        assert method["Integration"]["Type"] == "MOCK"
        headers = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert "Authorization" in headers["method.response.header.Access-Control-Allow-Headers"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"


def test_only_the_app_table_sweeps_expired_holds_by_ttl(synthesized):
    # The holds adapter writes expires_at_epoch; TTL removes old holds (leases are checked
    # in code, so TTL is cleanup only). The provider's data never expires.
    tables = table_ids(synthesized.resources)
    app = synthesized.resources[tables["app"]]["Properties"]
    provider = synthesized.resources[tables["provider"]]["Properties"]
    assert app["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at_epoch",
        "Enabled": True,
    }
    assert "TimeToLiveSpecification" not in provider


def rules_of(resources: Resources, folder: str) -> list[dict[str, Any]]:
    """The EventBridge rules that invoke the function of `folder`."""
    function = function_id(resources, folder, "handler.lambda_handler")
    return [
        rule
        for rule in of_type(resources, "AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [function, "Arn"]} for t in rule["Properties"]["Targets"])
    ]


def test_provider_channels_are_renewed_twice_a_day_into_the_dead_letter_queue(synthesized):
    resources = synthesized.resources
    [rule] = rules_of(resources, "functions/provider_channels")
    assert rule["Properties"]["ScheduleExpression"] == "rate(12 hours)"
    [target] = rule["Properties"]["Targets"]
    channels = function_id(resources, "functions/provider_channels", "handler.lambda_handler")
    assert target["Arn"] == {"Fn::GetAtt": [channels, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    queue_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert "ExpiryDeadLetterQueue" in queue_id
    # Without a custom domain, providers are told the API's own URL (its stage included)
    variables = resources[channels]["Properties"]["Environment"]["Variables"]
    assert "execute-api" in json.dumps(variables["WEBHOOK_BASE_URL"])


def test_schedule_mirrors_are_reconciled_every_15_minutes_and_customers_nightly(synthesized):
    resources = synthesized.resources
    rules = {
        r["Properties"]["ScheduleExpression"]: r["Properties"]["Targets"]
        for r in rules_of(resources, "functions/schedule_sync")
    }
    assert set(rules) == {"rate(15 minutes)", "cron(30 8 * * ? *)"}
    [every_15] = rules["rate(15 minutes)"]
    [nightly] = rules["cron(30 8 * * ? *)"]
    assert "Input" not in every_15
    assert json.loads(nightly["Input"]) == {"reread_customers": True}
    for target in (every_15, nightly):
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
        assert "ExpiryDeadLetterQueue" in target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]


def test_the_customer_page_starts_from_a_snapshot_and_keeps_no_old_versions(synthesized):
    resources = synthesized.resources
    portal = function_id(resources, "functions/portal", "handler.lambda_handler")
    props = resources[portal]["Properties"]
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    _, version = single(
        {
            lid: r
            for lid, r in of_type(resources, "AWS::Lambda::Version").items()
            if ref(r["Properties"]["FunctionName"]) == portal
        }
    )
    assert version["DeletionPolicy"] == "Delete"
    _, alias = single(of_type(resources, "AWS::Lambda::Alias"))
    assert alias["Properties"]["Name"] == "live"
    assert ref(alias["Properties"]["FunctionName"]) == portal
    # Every other function starts as usual (SnapStart bills each snapshot's cache)
    others = [
        lid for lid, r in of_type(resources, "AWS::Lambda::Function").items() if lid != portal
    ]
    assert all("SnapStart" not in resources[lid]["Properties"] for lid in others)
    # API Gateway may invoke the alias
    permissions = of_type(resources, "AWS::Lambda::Permission").values()
    alias_id = next(iter(of_type(resources, "AWS::Lambda::Alias")))
    assert any(ref(p["Properties"]["FunctionName"]) == alias_id for p in permissions)


def test_the_web_acl_keeps_no_sampled_requests(synthesized):
    # a sampled request keeps its URI, and a customer's link token is in it
    _, acl = single(of_type(synthesized.resources, "AWS::WAFv2::WebACL"))
    configs = [acl["Properties"]["VisibilityConfig"]] + [
        rule["VisibilityConfig"] for rule in acl["Properties"]["Rules"]
    ]
    assert len(configs) >= 3
    assert all(c["SampledRequestsEnabled"] is False for c in configs)
    assert all(c["CloudWatchMetricsEnabled"] is True for c in configs)
