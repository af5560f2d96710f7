"""People's accounts in the Cognito user pool: each carries its business (immutable: set
when the account is made) and its role, which the API's authorizer hands to the functions
as the token's claims."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reschedule_dispatch.domain.errors import Conflict, Unprocessable
from reschedule_dispatch.domain.team import Role

BUSINESS_ATTRIBUTE = "custom:business_id"
ROLE_ATTRIBUTE = "custom:role"


class CognitoIdentities:
    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def invite(self, email: str, business_id: str, role: Role) -> None:
        try:
            # Cognito emails a temporary password; the Hosted UI has them set their own and
            # their authenticator app (MFA) at the first sign-in.
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": BUSINESS_ATTRIBUTE, "Value": business_id},
                    {"Name": ROLE_ATTRIBUTE, "Value": role},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "UsernameExistsException":
                if self._is(email, business_id, role):
                    return  # our own retried request got there first: the same account
                raise Conflict(f"{email} has an account already.") from None
            if code == "InvalidParameterException":  # an address Cognito will not take
                raise Unprocessable(f"{email} cannot be an account's email address.") from None
            raise

    def _is(self, email: str, business_id: str, role: Role) -> bool:
        """Whether the account for `email` is on this business with this role."""
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=email)
        except ClientError:
            return False
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return (
            attributes.get(BUSINESS_ATTRIBUTE) == business_id
            and attributes.get(ROLE_ATTRIBUTE) == role
        )

    def remove(self, email: str) -> None:
        try:
            self._client.admin_delete_user(UserPoolId=self._pool, Username=email)
        except ClientError as error:
            # None, or a name no account can have: either way there is nothing to remove.
            code = error.response.get("Error", {}).get("Code")
            if code not in ("UserNotFoundException", "InvalidParameterException"):
                raise
