"""The customer's page (functions/portal): the link's page and workflow, and the
invitation calendars of a dispatcher's move."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from reschedule_dispatch.composition import parts
from reschedule_dispatch.composition.family import FunctionServices
from reschedule_dispatch.composition.settings import PortalEnv

if TYPE_CHECKING:
    from reschedule_dispatch.services.customer_links import CustomerLinks
    from reschedule_dispatch.services.invitation import InvitationCalendars


class CustomerPages(FunctionServices[PortalEnv]):
    environment = PortalEnv

    @cached_property
    def links(self) -> CustomerLinks:
        from reschedule_dispatch.services.customer_links import CustomerLinks

        schedule = self.deps.people_schedule(self.env)
        return CustomerLinks(
            sessions=parts.sessions(self.deps, self.env),
            provider=schedule,
            businesses=self.deps.businesses(self.env.app_table_name),
            workflow=parts.confirm_workflow(self.deps, self.env.confirm_state_machine_arn),
            clock=self.clock,
            openings=parts.find_openings(self.deps, self.env, schedule),
            guessing=parts.link_guessing(self.deps, self.env),
            private_to_browser=True,
        )

    @cached_property
    def invitations(self) -> InvitationCalendars:
        from reschedule_dispatch.services.invitation import InvitationCalendars

        return InvitationCalendars(
            sessions=parts.sessions(self.deps, self.env),
            businesses=self.deps.businesses(self.env.app_table_name),
            guessing=parts.link_guessing(self.deps, self.env),
            clock=self.clock,
        )
