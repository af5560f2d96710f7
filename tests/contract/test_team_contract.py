"""The Team and Identities ports: the fakes and the real adapters (DynamoDB and Cognito on
moto) keep the same promises: one team per email, a business's number its own, a start that
writes everything or nothing, an account per email."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from reschedule_dispatch.adapters.cognito_identities import CognitoIdentities
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.dynamodb_team import DynamoTeam
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, NotFound
from reschedule_dispatch.domain.team import TeamMember
from tests.fakes import FakeBusinesses, FakeIdentities, FakeTeam

NOW = datetime(2026, 12, 8, 15, tzinfo=UTC)


def _business(business_id: str = "b-1", phone: str = "+13125550100") -> Business:
    return Business(id=business_id, name="Acme", phone=phone, time_zone="America/Chicago")


def _member(email: str, role: str = "admin") -> TeamMember:
    return TeamMember.model_validate(
        {"email": email, "role": role, "added_at": NOW, "added_by": "sign-up"}
    )


@pytest.fixture(params=["fake", "dynamodb"])
def world(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(team, business directory) sharing one store."""
    if request.param == "fake":
        businesses = FakeBusinesses()
        return FakeTeam(businesses), businesses
    table = request.getfixturevalue("tables").app
    return DynamoTeam(table), DynamoBusinessDirectory(table)


def test_a_business_starts_with_its_number_and_first_admin(world):
    team, businesses = world
    team.start_business(_business(), _member("Ana@Acme.example"))

    assert businesses.get("b-1", fresh=True).name == "Acme"
    assert businesses.by_phone("+13125550100").id == "b-1"
    assert [m.email for m in team.members("b-1")] == ["ana@acme.example"]


@pytest.mark.parametrize(
    ("business", "admin", "says"),
    [
        (_business("b-2"), _member("bo@acme.example"), "number"),  # the same number
        (_business("b-2", "+13125550199"), _member("ana@acme.example"), "team"),
    ],
    ids=["number taken", "email on a team"],
)
def test_a_start_that_clashes_writes_nothing(world, business, admin, says):
    team, businesses = world
    team.start_business(_business(), _member("ana@acme.example"))

    with pytest.raises(Conflict, match=says):
        team.start_business(business, admin)

    with pytest.raises(NotFound):
        businesses.get("b-2", fresh=True)
    assert team.members("b-2") == []


def test_an_undone_start_leaves_nothing_and_the_number_free(world):
    team, businesses = world
    business, admin = _business(), _member("ana@acme.example")
    team.start_business(business, admin)

    team.undo_start(business, admin)

    with pytest.raises(NotFound):
        businesses.get("b-1", fresh=True)
    team.start_business(_business("b-3"), admin)  # the number and the email are free again
    assert [m.email for m in team.members("b-3")] == ["ana@acme.example"]


def test_members_are_added_once_listed_by_email_and_removed(world):
    team, _ = world
    team.start_business(_business(), _member("zoe@acme.example"))
    team.add("b-1", _member("amy@acme.example", "dispatcher"))

    with pytest.raises(Conflict):
        team.add("b-1", _member("amy@acme.example", "dispatcher"))
    assert [(m.email, m.role) for m in team.members("b-1")] == [
        ("amy@acme.example", "dispatcher"),
        ("zoe@acme.example", "admin"),
    ]
    assert team.remove("b-1", "AMY@acme.example").email == "amy@acme.example"
    with pytest.raises(NotFound):
        team.remove("b-1", "amy@acme.example")
    team.add("b-1", _member("amy@acme.example"))  # free to be invited again


def test_another_business_cannot_remove_a_member(world):
    team, _ = world
    team.start_business(_business(), _member("ana@acme.example"))
    team.start_business(_business("b-2", "+13125550199"), _member("bo@other.example"))

    with pytest.raises(NotFound):
        team.remove("b-2", "ana@acme.example")
    assert [m.email for m in team.members("b-1")] == ["ana@acme.example"]


@pytest.fixture(params=["fake", "cognito"])
def identities(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeIdentities()
    request.getfixturevalue("tables")  # inside moto
    client = boto3.client("cognito-idp")
    pool = client.create_user_pool(
        PoolName="dispatchers",
        Schema=[
            {"Name": "business_id", "AttributeDataType": "String", "Mutable": False},
            {"Name": "role", "AttributeDataType": "String", "Mutable": True},
        ],
    )["UserPool"]["Id"]
    return CognitoIdentities(client, pool)


def test_an_account_per_email_carrying_its_business_and_role(identities):
    identities.invite("ana@acme.example", "b-1", "admin")

    with pytest.raises(Conflict):
        identities.invite("ana@acme.example", "b-2", "dispatcher")
    if isinstance(identities, CognitoIdentities):
        user = identities._client.admin_get_user(
            UserPoolId=identities._pool, Username="ana@acme.example"
        )
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        assert attributes["custom:business_id"] == "b-1"
        assert attributes["custom:role"] == "admin"
    else:
        assert identities.accounts["ana@acme.example"] == ("b-1", "admin")


def test_a_removed_account_can_be_invited_again_and_removing_twice_is_fine(identities):
    identities.invite("ana@acme.example", "b-1", "admin")
    identities.remove("ana@acme.example")
    identities.remove("ana@acme.example")
    identities.invite("ana@acme.example", "b-1", "dispatcher")

    with pytest.raises(Conflict):  # the new account is there: a second one clashes
        identities.invite("ana@acme.example", "b-2", "admin")
