"""Scheduling providers: where each business's provider credentials live, and who reads them.

A business connected to Google Calendar, Microsoft Outlook or ServiceTitan has its own
Secrets Manager secret, created when it is connected (docs/providers.md), named under one
prefix. The functions that reach providers may read the secrets under that prefix, and only
those; the business record names which one is its own.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra import nag

PROVIDER_SECRETS_PREFIX = "reschedule-dispatch/providers/"


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
