"""The connection flow's ports: pending connections (DynamoDB on moto) and the business's
provider secrets (Secrets Manager on moto) keep the promises the fakes make: a state is
taken once and a replay is told apart; a secret is created, updated, scheduled for deletion
and restored by a reconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from reschedule_dispatch.adapters.oauth_connections import (
    DynamoPendingConnections,
    SecretsManagerProviderSecrets,
)
from reschedule_dispatch.domain.connections import PendingConnection
from tests.fakes import FakePendingConnections, FakeProviderSecrets

NOW = datetime(2026, 12, 8, 15, tzinfo=UTC)


@pytest.fixture(params=["fake", "dynamodb"])
def pending(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakePendingConnections()
    return DynamoPendingConnections(request.getfixturevalue("tables").app)


@pytest.fixture(params=["fake", "secretsmanager"])
def secrets(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeProviderSecrets()
    request.getfixturevalue("tables")  # inside moto
    return SecretsManagerProviderSecrets(boto3.client("secretsmanager"))


def _started(state: str = "s-1") -> PendingConnection:
    return PendingConnection(
        state=state,
        kind="google_calendar",
        business_id="b-1",
        admin_email="ana@acme.example",
        code_verifier="v" * 64,
        redirect_uri="https://api.example/api/connections/callback",
        expires_at=NOW + timedelta(minutes=10),
    )


def test_a_state_is_taken_once_and_a_replay_is_told_apart(pending):
    pending.put(_started())

    first = pending.take("s-1")
    again = pending.take("s-1")

    assert first == _started()  # as started, not yet used
    assert again is not None
    assert again.used
    assert pending.take("never-started") is None


def test_a_secret_is_created_updated_deleted_and_restored_by_a_reconnect(secrets):
    arn = secrets.save("b-1", "google_calendar", {"refresh_token": "1//first"})
    assert secrets.read(arn) == {"refresh_token": "1//first"}

    assert secrets.save("b-1", "google_calendar", {"refresh_token": "1//second"}) == arn
    assert secrets.read(arn) == {"refresh_token": "1//second"}

    secrets.delete(arn)
    assert secrets.read(arn) is None  # scheduled for deletion: nobody reads it
    secrets.delete(arn)  # twice is fine

    assert secrets.save("b-1", "google_calendar", {"refresh_token": "1//third"}) == arn
    assert secrets.read(arn) == {"refresh_token": "1//third"}
