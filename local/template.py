"""Reads the synthesized CloudFormation template: resources, intrinsic functions, API routes.

The local stack is built from this, so what runs locally is what CDK deploys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
TEMPLATE_NAME = "RescheduleDispatch.template.json"
SOURCE_METADATA = "reschedule:source"


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the logical id doubles as the local function name
    module: str  # e.g. functions.send_link.handler
    attribute: str  # e.g. lambda_handler
    environment: dict[str, str]

    @property
    def arn(self) -> str:
        return function_arn(self.name)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, e.g. /r/{token}/confirm
    function: str | None  # None for a mock integration
    authorization: str  # NONE or COGNITO_USER_POOLS
    pattern: re.Pattern[str] = field(compare=False)


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


class Template:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.resources: dict[str, dict[str, Any]] = body.get("Resources", {})

    @classmethod
    def load(cls, cdk_out: Path) -> Template:
        path = cdk_out / TEMPLATE_NAME
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `make synth` first")
        return cls(json.loads(path.read_text()))

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r.get("Type") in types}

    # Intrinsic functions -------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.resolve(p)) for p in self.resolve(parts))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
        return {k: self.resolve(v) for k, v in value.items()}

    def ref(self, logical_id: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "RescheduleDispatch",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        resource = self.resources[logical_id]
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::StepFunctions::StateMachine":
            return (
                f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{self.physical_name(logical_id)}"
            )
        return self.physical_name(logical_id) if props is not None else logical_id

    def physical_name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties", {})
        for key in ("TableName", "Name", "FunctionName", "StateMachineName", "RoleName"):
            if isinstance(props.get(key), str):
                return str(props[key])
        return logical_id

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if attribute == "Arn":
            service = {
                "AWS::Lambda::Function": f"lambda:{REGION}:{ACCOUNT}:function:{name}",
                "AWS::DynamoDB::Table": f"dynamodb:{REGION}:{ACCOUNT}:table/{name}",
                "AWS::IAM::Role": f"iam::{ACCOUNT}:role/{name}",
                "AWS::Scheduler::ScheduleGroup": f"scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}",
                "AWS::SQS::Queue": f"sqs:{REGION}:{ACCOUNT}:{name}",
                "AWS::SNS::Topic": f"sns:{REGION}:{ACCOUNT}:{name}",
                "AWS::Logs::LogGroup": f"logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
            }.get(kind, f"local:{REGION}:{ACCOUNT}:{logical_id}")
            return f"arn:aws:{service}"
        if attribute == "Name":
            return name
        return f"{logical_id}.{attribute}"

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    # What the local stack needs -------------------------------------------------------------

    def functions(self) -> dict[str, FunctionSpec]:
        specs = {}
        for logical_id, resource in self.of_type("AWS::Lambda::Function").items():
            source = resource.get("Metadata", {}).get(SOURCE_METADATA)
            if not source:
                continue  # CDK's own helper functions (e.g. log retention) do not run locally
            props = resource["Properties"]
            module, attribute = str(props["Handler"]).rsplit(".", 1)
            package = str(source).strip("/").replace("/", ".")
            variables = props.get("Environment", {}).get("Variables", {})
            specs[logical_id] = FunctionSpec(
                name=self.physical_name(logical_id),
                module=f"{package}.{module}",
                attribute=attribute,
                environment={k: str(self.resolve(v)) for k, v in variables.items()},
            )
        return specs

    def routes(self) -> list[Route]:
        routes = []
        for resource in self.of_type("AWS::ApiGateway::Method").values():
            props = resource["Properties"]
            method = str(props["HttpMethod"])
            if method == "OPTIONS":
                continue
            path = self._resource_path(props["ResourceId"])
            integration = props.get("Integration", {})
            function = None
            if integration.get("Type") == "AWS_PROXY":
                function = self._function_in(integration.get("Uri"))
            routes.append(
                Route(
                    method=method,
                    path=path,
                    function=function,
                    authorization=str(props.get("AuthorizationType", "NONE")),
                    pattern=_path_pattern(path),
                )
            )
        # Static segments win over parameters, as in API Gateway.
        return sorted(routes, key=lambda r: (r.path.count("{"), -len(r.path)))

    def _resource_path(self, resource_id: Any) -> str:
        if isinstance(resource_id, dict) and "Fn::GetAtt" in resource_id:
            return "/"  # the API's root resource
        logical_id = resource_id["Ref"]
        props = self.resources[logical_id]["Properties"]
        parent = self._resource_path(props["ParentId"])
        return f"{parent.rstrip('/')}/{props['PathPart']}"

    def _is_function(self, logical_id: str) -> bool:
        return self.resources.get(logical_id, {}).get("Type") == "AWS::Lambda::Function"

    def _function_in(self, uri: Any) -> str | None:
        """The function an integration URI points at, directly or through an alias (its
        `live` alias, for a SnapStart function): locally an alias is its function."""
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                att = node.get("Fn::GetAtt")
                if isinstance(att, list) and att[1] == "Arn" and self._is_function(att[0]):
                    found.append(att[0])
                alias = self.resources.get(str(node.get("Ref")), {})
                if alias.get("Type") == "AWS::Lambda::Alias":
                    found.append(alias["Properties"]["FunctionName"]["Ref"])
                for child in node.values():
                    walk(child)
            elif isinstance(node, list):
                for child in node:
                    walk(child)

        walk(uri)
        return self.physical_name(found[0]) if found else None


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")
