"""The console's session lasts a shift: the app client issues an hour's ID token and a
refresh token for 12 hours that rotates on every use, and the local dev sign-in keeps the
same numbers (local/dev_auth.py), so what the browser tests prove locally holds in AWS."""

from __future__ import annotations

from typing import Any

from local import dev_auth
from tests.infra.test_infra_stack import of_type, single

SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# CloudFormation's defaults when TokenValidityUnits leaves a token out
DEFAULT_UNITS = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}


def validity_seconds(props: dict[str, Any], token: str) -> int:
    units = {**DEFAULT_UNITS, **props.get("TokenValidityUnits", {})}
    return int(props[f"{token}Validity"]) * SECONDS[units[token]]


def console_client(synthesized) -> dict[str, Any]:
    _, client = single(of_type(synthesized.resources, "AWS::Cognito::UserPoolClient"))
    return dict(client["Properties"])


def test_the_id_token_lives_an_hour_and_the_sign_in_a_shift(synthesized):
    props = console_client(synthesized)
    assert validity_seconds(props, "IdToken") == 3600
    assert validity_seconds(props, "AccessToken") == 3600
    assert validity_seconds(props, "RefreshToken") == 12 * 3600


def test_refresh_tokens_rotate_with_a_short_grace_and_can_be_revoked(synthesized):
    props = console_client(synthesized)
    rotation = props["RefreshTokenRotation"]
    assert rotation["Feature"] == "ENABLED"
    assert 0 < rotation["RetryGracePeriodSeconds"] <= 60
    # With rotation, renewals go through the token endpoint (or GetTokensFromRefreshToken),
    # never the non-rotating REFRESH_TOKEN_AUTH flow
    assert "ALLOW_REFRESH_TOKEN_AUTH" not in props["ExplicitAuthFlows"]
    assert props["EnableTokenRevocation"] is True  # sign-out revokes the refresh token


def test_the_local_dev_sign_in_keeps_the_app_clients_numbers(synthesized):
    props = console_client(synthesized)
    assert validity_seconds(props, "IdToken") == dev_auth.ID_TOKEN_SECONDS
    assert validity_seconds(props, "RefreshToken") == dev_auth.REFRESH_TOKEN_SECONDS
    grace = props["RefreshTokenRotation"]["RetryGracePeriodSeconds"]
    assert grace == dev_auth.ROTATION_GRACE_SECONDS
