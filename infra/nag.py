"""Acknowledging cdk-nag (v3) findings, one resource at a time, each with its reason.

cdk-nag v3 reads acknowledgments from CDK's ``Validations`` metadata. An acknowledgment on a
construct also covers the resources below it, so acknowledge on the narrowest construct that
holds the finding (a role covers its default policy). Granular rules such as IAM4/IAM5 are
acknowledged per finding: ``AwsSolutions-IAM5[Resource::<Table.Arn>/index/*]``.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one AwsSolutions rule (or one finding of it) on scope and its children."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}-{rule}", reason=reason))


def policy_holder(grantee: IConstruct) -> IConstruct:
    """Where grants to grantee land: a function's role (a sibling in this app), else itself."""
    if isinstance(grantee, lambda_.Function):
        if grantee.role is None:
            raise ValueError(f"{grantee.node.path} has no role")
        return grantee.role
    return grantee


def arn_reference(construct: IConstruct, attribute: str = "Arn") -> str:
    """How cdk-nag spells ``Fn::GetAtt`` of construct's CloudFormation resource: ``<Id.Arn>``."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return f"<{Stack.of(resource).get_logical_id(resource)}.{attribute}>"


def acknowledge_wildcard_resource(grantee: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge one IAM5 wildcard resource finding (resource as cdk-nag flattens it)."""
    acknowledge(policy_holder(grantee), f"IAM5[Resource::{resource}]", reason)


def acknowledge_table_indexes(grantee: IConstruct, *tables: IConstruct) -> None:
    """IAM5 for the ``<table>/index/*`` resource that table.grant_* adds for the GSIs."""
    for table in tables:
        acknowledge_wildcard_resource(
            grantee,
            f"{arn_reference(table)}/index/*",
            "Added by table.grant_*: the function queries the table's GSIs; the wildcard "
            "covers that table's indexes only.",
        )


def acknowledge_function_versions(grantee: IConstruct, *functions: IConstruct) -> None:
    """IAM5 for the ``<function>:*`` resource that function.grant_invoke adds."""
    for function in functions:
        acknowledge_wildcard_resource(
            grantee,
            f"{arn_reference(function)}:*",
            "Added by function.grant_invoke: allows invoking this one function's versions and "
            "aliases; no other function is reachable.",
        )
