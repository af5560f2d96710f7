"""Sign-up and the team on the in-memory fakes: what is written, what is refused, and that a
refusal anywhere leaves nothing half-done."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from reschedule_dispatch.domain.errors import Conflict, MessagingUnavailable, NotAllowed, NotFound
from reschedule_dispatch.domain.team import NewBusiness
from reschedule_dispatch.services.team import (
    InviteToTeam,
    ListTeam,
    RemoveFromTeam,
    SignUpBusiness,
)
from tests.fakes import FakeBusinesses, FakeIdentities, FakeTeam

NOW = datetime(2026, 12, 8, 15, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def team() -> FakeTeam:
    return FakeTeam(FakeBusinesses())


@pytest.fixture
def identities() -> FakeIdentities:
    return FakeIdentities()


def _request(**changes: object) -> NewBusiness:
    fields = {
        "name": " Acme Plumbing ",
        "phone": "+13125550100",
        "time_zone": "America/Chicago",
        "admin_email": "Ana@Acme.example",
        **changes,
    }
    return NewBusiness.model_validate(fields)


def _sign_up(team, identities, ids=("b-1", "b-2", "b-3")) -> SignUpBusiness:
    queue = list(ids)
    return SignUpBusiness(
        team=team, identities=identities, clock=Clock(), new_id=lambda: queue.pop(0)
    )


def test_a_person_starts_a_business_and_is_its_admin(team, identities):
    business = _sign_up(team, identities)(_request())

    assert business.id == "b-1"
    assert business.name == "Acme Plumbing"
    assert team.businesses.get("b-1").phone == "+13125550100"
    [admin] = ListTeam(team=team)("b-1")
    assert (admin.email, admin.role, admin.added_by) == ("ana@acme.example", "admin", "sign-up")
    assert identities.accounts == {"ana@acme.example": ("b-1", "admin")}


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"phone": "3125550100"}, "E.164"),
        ({"phone": "+1312555"}, "E.164"),
        ({"time_zone": "America/Springfield"}, "not a time zone"),
        ({"name": "   "}, "name"),
        ({"admin_email": "not-an-email"}, "pattern"),
        ({"messaging_service_sid": "MG123"}, "pattern"),
    ],
)
def test_a_sign_up_with_bad_input_is_refused_with_the_reason(changes, says):
    with pytest.raises(ValidationError, match=says):
        _request(**changes)


def test_a_number_or_an_email_taken_refuses_the_sign_up_and_writes_nothing(team, identities):
    sign_up = _sign_up(team, identities)
    sign_up(_request())

    with pytest.raises(Conflict, match="number"):
        sign_up(_request(admin_email="bo@other.example"))
    with pytest.raises(Conflict, match="team"):
        sign_up(_request(phone="+13125550199"))
    assert ListTeam(team=team)("b-2") == []
    assert ListTeam(team=team)("b-3") == []
    assert list(identities.accounts) == ["ana@acme.example"]


def test_an_account_the_identity_provider_refuses_takes_the_business_back(team, identities):
    identities.refuse_next = MessagingUnavailable("Cognito could not send the email.")

    with pytest.raises(MessagingUnavailable):
        _sign_up(team, identities)(_request())

    with pytest.raises(NotFound):
        team.businesses.get("b-1")
    assert ListTeam(team=team)("b-1") == []
    _sign_up(team, identities, ids=("b-9",))(_request())  # the number and email are free


@pytest.fixture
def started(team, identities) -> str:
    return _sign_up(team, identities)(_request()).id


def test_an_admin_invites_a_dispatcher_who_gets_an_account(team, identities, started):
    invite = InviteToTeam(team=team, identities=identities, clock=Clock())

    member = invite(started, "ana@acme.example", "admin", "Dan@Acme.example", "dispatcher")

    assert (member.email, member.role, member.added_by) == (
        "dan@acme.example",
        "dispatcher",
        "ana@acme.example",
    )
    assert identities.accounts["dan@acme.example"] == (started, "dispatcher")


def test_a_dispatcher_may_not_invite_or_remove_and_nothing_changes(team, identities, started):
    invite = InviteToTeam(team=team, identities=identities, clock=Clock())
    invite(started, "ana@acme.example", "admin", "dan@acme.example", "dispatcher")

    with pytest.raises(NotAllowed):
        invite(started, "dan@acme.example", "dispatcher", "eve@acme.example", "admin")
    with pytest.raises(NotAllowed):
        RemoveFromTeam(team=team, identities=identities)(
            started, "dan@acme.example", "dispatcher", "ana@acme.example"
        )
    assert [m.email for m in ListTeam(team=team)(started)] == [
        "ana@acme.example",
        "dan@acme.example",
    ]
    assert "eve@acme.example" not in identities.accounts


def test_an_email_on_another_team_cannot_be_invited(team, identities, started):
    other = _sign_up(team, identities, ids=("b-7",))(
        _request(phone="+13125550199", admin_email="bo@other.example")
    )
    invite = InviteToTeam(team=team, identities=identities, clock=Clock())

    with pytest.raises(Conflict, match="team"):
        invite(started, "ana@acme.example", "admin", "bo@other.example", "dispatcher")
    assert identities.accounts["bo@other.example"] == (other.id, "admin")


def test_an_invitation_the_identity_provider_refuses_leaves_no_member(team, identities, started):
    identities.accounts["dan@acme.example"] = ("elsewhere", "admin")  # an account, no team
    invite = InviteToTeam(team=team, identities=identities, clock=Clock())

    with pytest.raises(Conflict, match="account"):
        invite(started, "ana@acme.example", "admin", "dan@acme.example", "dispatcher")
    assert [m.email for m in ListTeam(team=team)(started)] == ["ana@acme.example"]


def test_an_admin_removes_a_member_and_their_account_but_never_the_last_admin(
    team, identities, started
):
    InviteToTeam(team=team, identities=identities, clock=Clock())(
        started, "ana@acme.example", "admin", "dan@acme.example", "dispatcher"
    )
    remove = RemoveFromTeam(team=team, identities=identities)

    assert remove(started, "ana@acme.example", "admin", "DAN@acme.example").role == "dispatcher"
    assert "dan@acme.example" not in identities.accounts
    with pytest.raises(Conflict, match="at least one admin"):
        remove(started, "ana@acme.example", "admin", "ana@acme.example")
    with pytest.raises(NotFound):
        remove(started, "ana@acme.example", "admin", "nobody@acme.example")
    assert "ana@acme.example" in identities.accounts
