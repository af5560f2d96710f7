from __future__ import annotations

import json
from typing import Any

from local.template import Template

TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": []}},
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Metadata": {"reschedule:source": "functions/portal"},
            "Properties": {
                "Handler": "handler.lambda_handler",
                "Environment": {
                    "Variables": {
                        "APP_TABLE_NAME": {"Ref": "Table"},
                        "MACHINE": {"Ref": "Machine"},
                        "GROUP": {"Fn::Sub": "${Group}-x-${AWS::Region}"},
                    }
                },
            },
        },
        "Helper": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.h"}},
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": {
                    "Fn::Join": ["", ['{"Resource":"', {"Fn::GetAtt": ["Fn", "Arn"]}, '"}']]
                }
            },
        },
        "Group": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": "links"}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "R": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "r"},
        },
        "Token": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Ref": "R"}, "PathPart": "{token}"},
        },
        "Confirm": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Ref": "Token"}, "PathPart": "confirm"},
        },
        "GetToken": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "GET",
                "ResourceId": {"Ref": "Token"},
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "AWS_PROXY",
                    "Uri": {"Fn::Join": ["", ["arn:", {"Fn::GetAtt": ["Fn", "Arn"]}, "/inv"]]},
                },
            },
        },
        "PostConfirm": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "POST",
                "ResourceId": {"Ref": "Confirm"},
                "AuthorizationType": "COGNITO_USER_POOLS",
                "Integration": {"Type": "AWS_PROXY", "Uri": {"Fn::GetAtt": ["Fn", "Arn"]}},
            },
        },
    }
}


def test_functions_come_from_tagged_resources_with_resolved_environment():
    functions = Template(TEMPLATE).functions()
    assert list(functions) == ["Fn"]  # CDK's own helper functions are not ours to run
    spec = functions["Fn"]
    assert spec.module == "functions.portal.handler"
    assert spec.attribute == "lambda_handler"
    assert spec.environment == {
        "APP_TABLE_NAME": "Table",
        "MACHINE": "arn:aws:states:us-east-1:123456789012:stateMachine:Machine",
        "GROUP": "links-x-us-east-1",
    }


def test_state_machine_definitions_resolve_to_the_local_function_arns():
    template = Template(TEMPLATE)
    definition = template.resolve(
        TEMPLATE["Resources"]["Machine"]["Properties"]["DefinitionString"]
    )
    assert json.loads(definition) == {"Resource": template.functions()["Fn"].arn}


def test_routes_rebuild_paths_methods_and_authorizers():
    routes = {(r.method, r.path): r for r in Template(TEMPLATE).routes()}
    assert set(routes) == {("GET", "/r/{token}"), ("POST", "/r/{token}/confirm")}
    get = routes[("GET", "/r/{token}")]
    assert get.function == "Fn"
    assert get.authorization == "NONE"
    match = get.pattern.match("/r/abc")
    assert match is not None
    assert match.groupdict() == {"token": "abc"}
    assert get.pattern.match("/r/abc/confirm") is None
    assert routes[("POST", "/r/{token}/confirm")].authorization == "COGNITO_USER_POOLS"
