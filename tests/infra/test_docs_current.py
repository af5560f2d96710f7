"""docs/infra.md tells what the template and the code do: its route table, cdk-nag table and
metric list are checked against them, so a new route, acknowledgment or metric without its
line fails here rather than in the next audit."""

from __future__ import annotations

import re
from pathlib import Path

from tests.infra.test_infra_stack import REPO_ROOT, Resources, called_function, routes

INFRA_DOC = REPO_ROOT / "docs" / "infra.md"


def section(title: str) -> str:
    """The text of one `## title` (or `### title`) section of docs/infra.md."""
    text = INFRA_DOC.read_text()
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ )", text, re.M | re.S)
    assert match, f"docs/infra.md has no section {title!r}"
    return match.group(1)


def template_routes(resources: Resources) -> set[tuple[str, str, str, str]]:
    """(path, method, function folder or "none", authorization) of every non-preflight method."""
    folders = {
        logical_id: str(r["Metadata"]["reschedule:source"]).removeprefix("functions/")
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and "reschedule:source" in r.get("Metadata", {})
    }
    found = set()
    for (method, path), props in routes(resources).items():
        integration = props.get("Integration", {})
        called = (
            called_function(resources, integration["Uri"])[0]
            if integration.get("Type") == "AWS_PROXY"
            else None
        )
        function = folders.get(called or "", "none")
        auth = "Cognito" if props["AuthorizationType"] == "COGNITO_USER_POOLS" else "none"
        found.add((path, method, function, auth))
    return found


def documented_routes() -> set[tuple[str, str, str, str]]:
    """The API table's rows that name one route: (path, method, function, auth)."""
    rows = set()
    for line in section("API").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`/"):
            continue
        path, method, function, auth = cells
        rows.add(
            (
                path.strip("`"),
                method,
                function.split()[0],  # "none (mock integration…)" is none
                "Cognito" if auth == "Cognito" else auth.split(":")[0],
            )
        )
    return rows


def test_the_route_table_is_every_route_with_its_method_function_and_auth(synthesized):
    assert documented_routes() == template_routes(synthesized.resources)


def acknowledgments(resources: Resources) -> set[tuple[str, str]]:
    """(logical id, rule id without the pack prefix) of every cdk-nag acknowledgment."""
    return {
        (logical_id, rule["id"].removeprefix("AwsSolutions-"))
        for logical_id, r in resources.items()
        for rule in r.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }


def test_every_acknowledged_cdk_nag_rule_is_in_the_table(synthesized):
    acknowledged = acknowledgments(synthesized.resources)
    table = section("cdk-nag")
    documented = {
        rule
        for line in table.splitlines()
        if line.startswith("| ")
        for rule in re.findall(r"\b([A-Z]+[0-9]+)\b", line.split("|")[1])
    }
    rules = {rule.split("[")[0] for _, rule in acknowledged}
    assert rules, "the template should carry cdk-nag acknowledgments"
    assert rules <= documented, sorted(rules - documented)


def test_every_wildcard_and_managed_policy_of_the_app_is_in_the_table(synthesized):
    """IAM4/IAM5 are acknowledged per finding: each one on the app's own roles has its row
    (CDK's BucketDeployment role has one row for all of its own)."""
    table = section("cdk-nag")
    missing = set()
    for logical_id, rule in acknowledgments(synthesized.resources):
        finding = re.fullmatch(r"IAM[45]\[(?:Resource|Policy)::(.+)\]", rule)
        if not finding or logical_id.startswith("CustomCDKBucketDeployment"):
            continue
        resource = finding.group(1)
        if resource.startswith("<"):  # <Logical.Arn>/index/* or <Logical.Arn>:*
            shown = resource.split(">", 1)[1]
        elif resource == "*":
            shown = "`Resource::*`"
        elif rule.startswith("IAM4"):  # a managed policy: its name
            shown = resource.rsplit("/", 1)[-1]
        else:  # an ARN: its resource part, e.g. schedule/reschedule-dispatch-links/*
            shown = resource.rsplit(":", 1)[-1]
        if shown not in table:
            missing.add(rule)
    assert not missing, sorted(missing)


def test_every_metric_the_functions_emit_is_listed():
    code = [
        *(REPO_ROOT / "functions").rglob("*.py"),
        *(REPO_ROOT / "layers" / "shared").rglob("*.py"),
    ]
    emitted = {
        name
        for path in code
        # add_metric on the function's Metrics, or single_metric for a series of its own
        for name in re.findall(
            r"(?:add_metric|single_metric)\(\s*name=\"(\w+)\"", Path(path).read_text()
        )
    }
    listed = set(re.findall(r"`(\w+)`", section("Metrics and the dashboard")))
    assert emitted, "the functions should emit business metrics"
    assert emitted <= listed, sorted(emitted - listed)
