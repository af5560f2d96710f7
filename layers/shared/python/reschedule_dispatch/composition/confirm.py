"""The confirm workflow's steps (functions/confirm), its watchdog, and a link's expiry
(functions/expire)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from reschedule_dispatch.composition import parts
from reschedule_dispatch.composition.family import FunctionServices
from reschedule_dispatch.composition.settings import (
    AppEnv,
    CompensateEnv,
    FinalizeEnv,
    ProviderEnv,
    WatchdogEnv,
)

if TYPE_CHECKING:
    from reschedule_dispatch.services.lifecycle import (
        CheckAppointment,
        Compensate,
        ExpireSession,
        FinalizeReschedule,
        HoldOpening,
        MoveAppointment,
    )
    from reschedule_dispatch.services.watchdog import ResolveSession, WatchStuckSessions


class HoldStep(FunctionServices[AppEnv]):
    environment = AppEnv

    @cached_property
    def hold_opening(self) -> HoldOpening:
        from reschedule_dispatch.services.lifecycle import HoldOpening

        return HoldOpening(
            sessions=parts.sessions(self.deps, self.env),
            holds=parts.holds(self.deps, self.env),
            clock=self.clock,
        )


class CheckStep(FunctionServices[ProviderEnv]):
    environment = ProviderEnv

    @cached_property
    def check_appointment(self) -> CheckAppointment:
        from reschedule_dispatch.services.lifecycle import CheckAppointment

        return CheckAppointment(
            sessions=parts.sessions(self.deps, self.env),
            provider=self.deps.live_provider(self.env),
            resync=parts.sync_schedule(self.deps, self.env).technicians,
        )


class MoveStep(FunctionServices[ProviderEnv]):
    environment = ProviderEnv

    @cached_property
    def move_appointment(self) -> MoveAppointment:
        from reschedule_dispatch.services.lifecycle import MoveAppointment

        return MoveAppointment(
            sessions=parts.sessions(self.deps, self.env),
            provider=self.deps.live_provider(self.env),
            mirror=self.deps.schedule_mirror(self.env),
        )


class FinalizeStep(FunctionServices[FinalizeEnv]):
    environment = FinalizeEnv

    @cached_property
    def finalize_reschedule(self) -> FinalizeReschedule:
        return parts.finalize_reschedule(self.deps, self.env)


class CompensateStep(FunctionServices[CompensateEnv]):
    environment = CompensateEnv

    @cached_property
    def compensate(self) -> Compensate:
        return parts.compensate(self.deps, self.env)


class Watchdog(FunctionServices[WatchdogEnv]):
    environment = WatchdogEnv

    @cached_property
    def resolve_session(self) -> ResolveSession:
        from reschedule_dispatch.services.watchdog import ResolveSession

        return ResolveSession(
            sessions=parts.sessions(self.deps, self.env),
            # where the appointment really is, never the mirror
            provider=self.deps.live_provider(self.env),
            finalize=parts.finalize_reschedule(self.deps, self.env),
            compensate=parts.compensate(self.deps, self.env),
            mirror=self.deps.schedule_mirror(self.env),
        )

    def watch_stuck_sessions(self, state_machine_arn: str) -> WatchStuckSessions:
        """The round over the confirm workflow `state_machine_arn` (its rule's payload names
        it: the machine invokes the watchdog, so the function cannot reference the machine)."""
        from reschedule_dispatch.services.watchdog import WatchStuckSessions

        return self._per(
            ("watch", state_machine_arn),
            lambda: WatchStuckSessions(
                businesses=self.deps.businesses(self.env.app_table_name),
                sessions=parts.sessions(self.deps, self.env),
                workflows=parts.confirm_workflow(self.deps, state_machine_arn),
                resolve=self.resolve_session,
                clock=self.clock,
            ),
        )


class ExpiryServices(FunctionServices[AppEnv]):
    environment = AppEnv

    @cached_property
    def expire_session(self) -> ExpireSession:
        from reschedule_dispatch.services.lifecycle import ExpireSession

        return ExpireSession(sessions=parts.sessions(self.deps, self.env), clock=self.clock)
