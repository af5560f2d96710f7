"""The local stack's user pool: moto's Cognito, made from the template's pool, so sign-up and
invitations run the real adapter (adapters/cognito_identities.py) through boto3, and the dev
sign-in reads the accounts they made.

Moto sends no email: an invited person signs in with the dev sign-in (their email), as
every local account does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from local.template import Template

# What the dev sign-in's token carries of an account (as Cognito's ID token would).
CLAIMS = ("email", "name", "custom:business_id", "custom:role")


def provision_user_pool(template: Template, client: Any) -> str:
    """The template's user pool in moto, with its custom attributes; answers its id."""
    [(logical_id, resource)] = template.of_type("AWS::Cognito::UserPool").items()
    schema = [
        {
            "Name": attribute["Name"],
            "AttributeDataType": attribute.get("AttributeDataType", "String"),
            "Mutable": bool(attribute.get("Mutable", True)),
        }
        for attribute in resource["Properties"].get("Schema", [])
        if "AttributeDataType" in attribute  # the custom ones; standard ones need no schema
    ]
    pool = client.create_user_pool(PoolName=logical_id, Schema=schema)
    return str(pool["UserPool"]["Id"])


class PoolAccounts(Mapping[str, dict[str, Any]]):
    """Email → the claims of that account in the pool (what DevTokens issues tokens for)."""

    def __init__(self, client: Any, pool_id: str) -> None:
        self._client = client
        self._pool = pool_id

    @property
    def pool_id(self) -> str:
        return self._pool

    def add(self, email: str, claims: Mapping[str, Any]) -> None:
        """A seeded account, made without an invitation email."""
        attributes = [
            {"Name": name, "Value": str(claims[name])}
            for name in CLAIMS
            if name != "email" and claims.get(name) is not None
        ]
        self._client.admin_create_user(
            UserPoolId=self._pool,
            Username=email.lower(),
            UserAttributes=[{"Name": "email", "Value": email.lower()}, *attributes],
            MessageAction="SUPPRESS",
        )

    def __getitem__(self, email: str) -> dict[str, Any]:
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=email.lower())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise KeyError(email) from None
            raise
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        return {name: attributes[name] for name in CLAIMS if name in attributes}

    def __iter__(self) -> Iterator[str]:
        pages = self._client.get_paginator("list_users").paginate(UserPoolId=self._pool)
        for page in pages:
            for user in page["Users"]:
                yield str(user["Username"])

    def __len__(self) -> int:
        return sum(1 for _ in self)
