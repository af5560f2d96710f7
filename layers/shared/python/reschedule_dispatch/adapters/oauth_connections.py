"""Connecting from Settings, outside the domain: pending connections in the app table, the
authorization code exchanged at the provider's token endpoint, and each business's tokens
in its own Secrets Manager secret (domain/connections.py, services/connections.py).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import is_condition_failure
from reschedule_dispatch.adapters.json_http import exchange, json_object
from reschedule_dispatch.domain.connections import (
    ConnectionRefused,
    OAuthClient,
    OAuthProvider,
    PendingConnection,
    Tokens,
)
from reschedule_dispatch.domain.errors import ProviderUnavailable

SECRET_PREFIX = "reschedule-dispatch/providers/"  # noqa: S105  # a name prefix
# A disconnected business's tokens can be restored this long (Secrets Manager's 7 to 30).
RECOVERY_WINDOW_DAYS = 7


class DynamoPendingConnections:
    """`OAUTH_STATE#{state}`/`PENDING`, swept by the table's TTL after it expires; taking
    one marks it used in the same conditional write, so a replayed state is told apart."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def put(self, pending: PendingConnection) -> None:
        self._table.put_item(
            Item={
                "pk": f"OAUTH_STATE#{pending.state}",
                "sk": "PENDING",
                "kind": pending.kind,
                "business_id": pending.business_id,
                "admin_email": pending.admin_email,
                "code_verifier": pending.code_verifier,
                "redirect_uri": pending.redirect_uri,
                "expires_at": pending.expires_at.isoformat(),
                "expires_at_epoch": int(pending.expires_at.timestamp()),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def take(self, state: str) -> PendingConnection | None:
        key = {"pk": f"OAUTH_STATE#{state}", "sk": "PENDING"}
        try:
            item = self._table.update_item(
                Key=key,
                UpdateExpression="SET used = :yes",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(used)",
                ExpressionAttributeValues={":yes": True},
                ReturnValues="ALL_OLD",
            )["Attributes"]
            used = False
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
            if item is None:
                return None
            used = True
        return PendingConnection(
            state=state,
            kind=str(item["kind"]),
            business_id=str(item["business_id"]),
            admin_email=str(item["admin_email"]),
            code_verifier=str(item["code_verifier"]),
            redirect_uri=str(item["redirect_uri"]),
            expires_at=datetime.fromisoformat(str(item["expires_at"])).astimezone(UTC),
            used=used,
        )


class SecretsManagerProviderSecrets:
    """`reschedule-dispatch/providers/{business}/{kind}`: created on the first connection,
    a new version on a reconnect, restored first if a disconnect had scheduled it."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @staticmethod
    def name(business_id: str, kind: str) -> str:
        return f"{SECRET_PREFIX}{business_id}/{kind}"

    def save(self, business_id: str, kind: str, value: dict[str, str]) -> str:
        name, body = self.name(business_id, kind), json.dumps(value)
        try:
            created = self._client.create_secret(
                Name=name,
                SecretString=body,
                Description=f"{kind} tokens of business {business_id}, connected from Settings",
            )
            return str(created["ARN"])
        except ClientError as error:
            # It exists, perhaps scheduled for deletion by a disconnect (AWS answers that
            # InvalidRequestException, some emulators ResourceExistsException): restore it.
            code = error.response["Error"]["Code"]
            if code not in {"InvalidRequestException", "ResourceExistsException"}:
                raise
            if "DeletedDate" in self._client.describe_secret(SecretId=name):
                self._client.restore_secret(SecretId=name)
        return str(self._client.put_secret_value(SecretId=name, SecretString=body)["ARN"])

    def read(self, arn: str) -> dict[str, str] | None:
        try:
            value = self._client.get_secret_value(SecretId=arn)["SecretString"]
        except ClientError as error:
            if error.response["Error"]["Code"] in {
                "ResourceNotFoundException",
                "InvalidRequestException",
            }:
                return None
            raise
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else None

    def delete(self, arn: str) -> None:
        try:
            self._client.delete_secret(
                SecretId=arn,
                RecoveryWindowInDays=RECOVERY_WINDOW_DAYS,
                ForceDeleteWithoutRecovery=False,
            )
        except ClientError as error:
            # Gone, or already scheduled for deletion (InvalidRequestException): done either way.
            if error.response["Error"]["Code"] not in {
                "ResourceNotFoundException",
                "InvalidRequestException",
            }:
                raise


class HttpTokenExchange:
    """The authorization code grant at the provider's token endpoint (RFC 6749 §4.1.3),
    with the PKCE verifier (RFC 7636 §4.5)."""

    def __init__(self, *, timeout: float = 10.0) -> None:
        self._timeout = timeout

    def exchange(
        self, provider: OAuthProvider, client: OAuthClient, code: str, pending: PendingConnection
    ) -> Tokens:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": pending.code_verifier,
        }
        status, _, body = exchange(
            "POST",
            provider.token_url,
            urllib.parse.urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            self._timeout,
            ProviderUnavailable("The provider's token endpoint could not be reached. Try again."),
        )
        answer = json_object(body) or {}
        if status >= 500:
            raise ProviderUnavailable("The provider's token endpoint failed. Try again.")
        if status >= 300:
            error = str(answer.get("error") or "refused")
            raise ConnectionRefused(
                "code_refused",
                f"The provider refused the sign-in ({error}): it may have expired or been "
                "used. Start again from Settings.",
            )
        refresh_token = answer.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ConnectionRefused(
                "no_refresh_token",
                "The provider gave no lasting access (no refresh token): start again from "
                "Settings and allow offline access.",
            )
        return Tokens(refresh_token=refresh_token, account=_email(answer.get("id_token")))


def _email(id_token: object) -> str | None:
    """The email an ID token names. Read, not verified: it came straight from the token
    endpoint over TLS (OpenID Connect Core 3.1.3.7), and it is only shown, never trusted."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) else None
