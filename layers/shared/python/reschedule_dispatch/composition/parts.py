"""The adapters and services more than one function family builds, from the process's
dependencies and a function's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from reschedule_dispatch.adapters.dynamodb_contacts import DynamoContacts
from reschedule_dispatch.adapters.dynamodb_holds import DynamoOpeningHolds
from reschedule_dispatch.adapters.dynamodb_sessions import DynamoSessionRepository
from reschedule_dispatch.adapters.dynamodb_suggestions import DynamoSuggestions
from reschedule_dispatch.adapters.eventbridge_scheduler import (
    EventBridgeExpiryScheduler,
    EventBridgeScheduledSends,
    OneTimeSchedules,
)
from reschedule_dispatch.adapters.stepfunctions_workflow import StepFunctionsConfirmWorkflow
from reschedule_dispatch.composition.dependencies import Dependencies
from reschedule_dispatch.composition.settings import (
    AppEnv,
    CompensateEnv,
    FinalizeEnv,
    PortalEnv,
    ProviderEnv,
)
from reschedule_dispatch.domain.guessing import GuessLimit
from reschedule_dispatch.domain.ports import SchedulingProvider

if TYPE_CHECKING:
    from reschedule_dispatch.adapters.dynamodb_team import DynamoTeam
    from reschedule_dispatch.services.business_settings import GetBusiness
    from reschedule_dispatch.services.dispatcher_move import CheckMove
    from reschedule_dispatch.services.lifecycle import Compensate, FinalizeReschedule
    from reschedule_dispatch.services.link_guessing import LinkGuessing
    from reschedule_dispatch.services.openings import OpeningsForAppointment
    from reschedule_dispatch.services.schedule_mirror import SyncSchedule
    from reschedule_dispatch.services.staff_notifications import TellStaff

_Schedules = TypeVar("_Schedules", bound=OneTimeSchedules)


def sessions(deps: Dependencies, env: AppEnv) -> DynamoSessionRepository:
    return DynamoSessionRepository(deps.table(env.app_table_name))


def team(deps: Dependencies, env: AppEnv) -> DynamoTeam:
    from reschedule_dispatch.adapters.dynamodb_team import DynamoTeam

    return DynamoTeam(deps.table(env.app_table_name))


def contacts(deps: Dependencies, env: AppEnv) -> DynamoContacts:
    return DynamoContacts(deps.table(env.app_table_name))


def holds(deps: Dependencies, env: AppEnv) -> DynamoOpeningHolds:
    return DynamoOpeningHolds(deps.table(env.app_table_name))


def suggestions(deps: Dependencies, env: AppEnv) -> DynamoSuggestions:
    return DynamoSuggestions(deps.table(env.app_table_name))


def confirm_workflow(deps: Dependencies, state_machine_arn: str) -> StepFunctionsConfirmWorkflow:
    return StepFunctionsConfirmWorkflow(deps.client("stepfunctions"), state_machine_arn)


def _schedule_deleter(deps: Dependencies, kind: type[_Schedules], group_name: str) -> _Schedules:
    # Deleting a schedule needs only its name and group: no target, role or dead-letter queue.
    return kind(deps.client("scheduler"), group_name, "", "", "")


def expiry_deleter(deps: Dependencies, group_name: str) -> EventBridgeExpiryScheduler:
    return _schedule_deleter(deps, EventBridgeExpiryScheduler, group_name)


def sends_deleter(deps: Dependencies, group_name: str) -> EventBridgeScheduledSends:
    return _schedule_deleter(deps, EventBridgeScheduledSends, group_name)


def get_business(deps: Dependencies, env: AppEnv) -> GetBusiness:
    from reschedule_dispatch.services.business_settings import GetBusiness

    return GetBusiness(businesses=deps.businesses(env.app_table_name))


def find_openings(
    deps: Dependencies, env: ProviderEnv, provider: SchedulingProvider
) -> OpeningsForAppointment:
    from reschedule_dispatch.services.openings import OpeningsForAppointment

    return OpeningsForAppointment(
        provider=provider, clock=deps.clock, travel_for=deps.travel_for(env)
    )


def check_move(deps: Dependencies, env: ProviderEnv) -> CheckMove:
    from reschedule_dispatch.services.dispatcher_move import CheckMove

    return CheckMove(
        provider=deps.people_schedule(env),
        businesses=deps.businesses(env.app_table_name),
        clock=deps.clock,
        travel_for=deps.travel_for(env),
    )


def link_guessing(deps: Dependencies, env: PortalEnv) -> LinkGuessing:
    from reschedule_dispatch.adapters.dynamodb_guesses import DynamoGuessThrottle
    from reschedule_dispatch.services.link_guessing import LinkGuessing

    return LinkGuessing(
        counts=DynamoGuessThrottle(deps.table(env.app_table_name)),
        clock=deps.clock,
        limit=GuessLimit(env.unknown_link_limit, env.unknown_link_window_seconds),
    )


def sync_schedule(deps: Dependencies, env: ProviderEnv) -> SyncSchedule:
    from reschedule_dispatch.services.schedule_mirror import SyncSchedule

    return SyncSchedule(
        mirror=deps.schedule_mirror(env), live=deps.live_provider(env), clock=deps.clock
    )


def tell_staff(deps: Dependencies, env: CompensateEnv | FinalizeEnv) -> TellStaff | None:
    """None when the stack has no Slack token."""
    from reschedule_dispatch.services.staff_notifications import TellStaff

    notifier = deps.staff_notifier(env)
    if notifier is None:
        return None
    return TellStaff(
        notifier=notifier,
        businesses=deps.businesses(env.app_table_name),
        sessions=sessions(deps, env),
        clock=deps.clock,
        console_url=env.console_url,
    )


def compensate(deps: Dependencies, env: CompensateEnv | FinalizeEnv) -> Compensate:
    from reschedule_dispatch.services.lifecycle import Compensate

    return Compensate(
        sessions=sessions(deps, env),
        holds=holds(deps, env),
        clock=deps.clock,
        tell_staff=tell_staff(deps, env),
    )


def finalize_reschedule(deps: Dependencies, env: FinalizeEnv) -> FinalizeReschedule:
    from reschedule_dispatch.services.lifecycle import FinalizeReschedule

    return FinalizeReschedule(
        sessions=sessions(deps, env),
        businesses=deps.businesses(env.app_table_name),
        expiry=expiry_deleter(deps, env.schedule_group_name),
        sms=deps.sms_sender(env),
        clock=deps.clock,
        contacts=contacts(deps, env),
        holds=holds(deps, env),
        tell_staff=tell_staff(deps, env),
        email=deps.email_sender(env),  # a dispatcher's move emails its invitation
    )
