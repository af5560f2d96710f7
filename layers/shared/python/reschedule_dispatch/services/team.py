"""A business starts, and its team changes: sign-up, invitations, removals.

Each writes the team record and the identity provider's account together: when the second
refuses, the first is taken back, so a refused request leaves nothing half-done.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, NotFound
from reschedule_dispatch.domain.ports import Clock, Identities, Team
from reschedule_dispatch.domain.team import (
    NewBusiness,
    Role,
    TeamMember,
    may_change_the_business,
)

SIGN_UP = "sign-up"


def new_business_id() -> str:
    return "b-" + secrets.token_hex(6)


class SignUpBusiness:
    """A person names their business and becomes its admin: the business exists with the
    default settings, and the identity provider emails them how to sign in."""

    def __init__(
        self,
        *,
        team: Team,
        identities: Identities,
        clock: Clock,
        new_id: Callable[[], str] = new_business_id,
    ) -> None:
        self._team = team
        self._identities = identities
        self._clock = clock
        self._new_id = new_id

    def __call__(self, request: NewBusiness) -> Business:
        business = Business(
            id=self._new_id(),
            name=request.name,
            phone=request.phone,
            time_zone=request.time_zone,
            messaging_service_sid=request.messaging_service_sid,
        )
        admin = TeamMember(
            email=request.admin_email, role="admin", added_at=self._clock.now(), added_by=SIGN_UP
        )
        self._team.start_business(business, admin)
        try:
            self._identities.invite(admin.email, business.id, "admin")
        except BaseException:
            self._team.undo_start(business, admin)
            raise
        return business


class ListTeam:
    def __init__(self, *, team: Team) -> None:
        self._team = team

    def __call__(self, business_id: str) -> list[TeamMember]:
        return self._team.members(business_id)


class InviteToTeam:
    """An admin adds someone by email; the identity provider emails them how to sign in."""

    def __init__(self, *, team: Team, identities: Identities, clock: Clock) -> None:
        self._team = team
        self._identities = identities
        self._clock = clock

    def __call__(
        self, business_id: str, by: str, by_role: Role, email: str, role: Role
    ) -> TeamMember:
        may_change_the_business(by_role)
        member = TeamMember(email=email, role=role, added_at=self._clock.now(), added_by=by)
        self._team.add(business_id, member)
        try:
            self._identities.invite(member.email, business_id, role)
        except BaseException:
            self._team.remove(business_id, member.email)
            raise
        return member


class RemoveFromTeam:
    """An admin removes someone: their account goes, so they cannot sign in again (a token
    they hold stops at its expiry). The last admin stays: a business always has one."""

    def __init__(self, *, team: Team, identities: Identities) -> None:
        self._team = team
        self._identities = identities

    def __call__(self, business_id: str, by: str, by_role: Role, email: str) -> TeamMember:
        may_change_the_business(by_role)
        email = email.strip().lower()
        members = self._team.members(business_id)
        admins = [m.email for m in members if m.role == "admin"]
        if admins == [email]:
            raise Conflict("A business keeps at least one admin: invite another admin first.")
        if email not in {m.email for m in members}:
            raise NotFound(f"{email} is not on this business's team.")
        # The account first: should the record's removal fail, it is retried, and nobody
        # kept a way in meanwhile.
        self._identities.remove(email)
        return self._team.remove(business_id, email)
