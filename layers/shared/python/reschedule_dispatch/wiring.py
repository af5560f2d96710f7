"""Composition root: each handler's environment as a settings model, and its services built once.

Nothing here runs at import time; handlers call these builders once per cold start. Each
builder imports its use case itself, as the builders that text or route import the twilio
library and the Amazon Location adapter, so a function loads only the services it builds
(cold starts: docs/performance.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import boto3

from reschedule_dispatch.adapters.clock import SystemClock
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.dynamodb_contacts import DynamoContacts
from reschedule_dispatch.adapters.dynamodb_guesses import DynamoGuessThrottle
from reschedule_dispatch.adapters.dynamodb_holds import DynamoOpeningHolds
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror
from reschedule_dispatch.adapters.dynamodb_seen_events import DynamoSeenEvents
from reschedule_dispatch.adapters.dynamodb_sessions import DynamoSessionRepository
from reschedule_dispatch.adapters.dynamodb_suggestions import DynamoSuggestions
from reschedule_dispatch.adapters.eventbridge_scheduler import (
    EventBridgeExpiryScheduler,
    EventBridgeScheduledSends,
    OneTimeSchedules,
)
from reschedule_dispatch.adapters.lambda_suggested_sends import LambdaSuggestedSends
from reschedule_dispatch.adapters.provider_connections import ProviderConnections
from reschedule_dispatch.adapters.provider_router import BusinessProviders, RoutedProvider
from reschedule_dispatch.adapters.stepfunctions_workflow import StepFunctionsConfirmWorkflow
from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.guessing import (
    UNKNOWN_LINKS_PER_WINDOW,
    WINDOW_SECONDS,
    GuessLimit,
)
from reschedule_dispatch.domain.ports import (
    Clock,
    EmailSender,
    SchedulingProvider,
    SmsSender,
    StaffNotifier,
)
from reschedule_dispatch.domain.travel import TravelTime, travel_from_settings
from reschedule_dispatch.environment import EnvSettings

if TYPE_CHECKING:
    from reschedule_dispatch.adapters.amazon_location import AmazonLocationTravelTime
    from reschedule_dispatch.services.business_settings import (
        CheckProviderConnection,
        GetBusiness,
        UpdateSettings,
    )
    from reschedule_dispatch.services.dispatcher_move import CheckMove, MoveByDispatcher
    from reschedule_dispatch.services.invitation import InvitationCalendars
    from reschedule_dispatch.services.lifecycle import (
        CheckAppointment,
        Compensate,
        ExpireSession,
        FinalizeReschedule,
        HoldOpening,
        MoveAppointment,
        RecordDelivery,
    )
    from reschedule_dispatch.services.link_guessing import LinkGuessing
    from reschedule_dispatch.services.messaging import InboundMessage
    from reschedule_dispatch.services.openings import AppointmentOpeningsQuery, FindOpenings
    from reschedule_dispatch.services.portal import CustomerLinks
    from reschedule_dispatch.services.provider_events import (
        ApplyProviderEvent,
        DismissSuggestion,
        KeepProvidersNotified,
        ListSuggestions,
        ReceiveProviderWebhook,
    )
    from reschedule_dispatch.services.queries import (
        AppointmentTimeline,
        GetSession,
        PreviewMessage,
        SearchCustomers,
    )
    from reschedule_dispatch.services.schedule import ScheduleQuery
    from reschedule_dispatch.services.schedule_mirror import (
        MirroredSchedule,
        ReconcileMirrors,
        SyncSchedule,
    )
    from reschedule_dispatch.services.send_link import SendLink
    from reschedule_dispatch.services.session_actions import CancelSession, ListSessions, ResendLink
    from reschedule_dispatch.services.staff_notifications import TellStaff
    from reschedule_dispatch.services.watchdog import ResolveSession, WatchStuckSessions

SECRET_MAX_AGE_SECONDS = 300

_Schedules = TypeVar("_Schedules", bound=OneTimeSchedules)

# What every function reads the time from: the system's in AWS; the local stack sets its
# settable clock (local/clock.py, /dev/clock) before the functions' cold starts.
_clock: Clock = SystemClock()


def use_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


# The one place a provider adapter is chosen. A local stack may wrap it (fault injection);
# in AWS nothing does.
_provider_wrapper: Callable[[SchedulingProvider], SchedulingProvider] | None = None


def use_provider_wrapper(
    wrapper: Callable[[SchedulingProvider], SchedulingProvider] | None,
) -> None:
    global _provider_wrapper
    _provider_wrapper = wrapper


def _live_provider(env: ProviderEnv) -> SchedulingProvider:
    """Each business's own scheduling provider, behind the one port: what is authoritative
    (the confirm workflow, a link's original version, what a webhook says changed)."""
    provider: SchedulingProvider = RoutedProvider(business_providers(env))
    return _provider_wrapper(provider) if _provider_wrapper else provider


def _provider(env: ProviderEnv) -> MirroredSchedule:
    """The schedule as a person's reads see it: the mirror, the provider where it lacks."""
    from reschedule_dispatch.services.schedule_mirror import MirroredSchedule

    return MirroredSchedule(
        mirror=schedule_mirror(env),
        live=_live_provider(env),
        on_miss=_log_mirror_miss,
    )


def _log_mirror_miss(operation: str) -> None:
    logging.getLogger("reschedule_dispatch.mirror").info(
        "Schedule read from the provider, not the mirror", extra={"operation": operation}
    )


_mirrors: dict[tuple[str, str | None], DynamoScheduleMirror] = {}


def schedule_mirror(env: ProviderEnv) -> DynamoScheduleMirror:
    """One per process: its short cache of each business's mirror state is shared. With a
    route calculator it keeps the drives between each technician's stops (billed once)."""
    key = (env.app_table_name, env.route_calculator_name)
    if key not in _mirrors:
        calculator = env.route_calculator_name
        _mirrors[key] = DynamoScheduleMirror(
            _table(env.app_table_name),
            stop_drives=_route_service(calculator)(BusinessSettings()) if calculator else None,
        )
    return _mirrors[key]


def reconcile_mirrors(env: ProviderEnv | None = None) -> ReconcileMirrors:
    from reschedule_dispatch.services.schedule_mirror import ReconcileMirrors

    env = env or ProviderEnv()
    return ReconcileMirrors(
        businesses=_businesses(env.app_table_name),
        mirror=schedule_mirror(env),
        sync=sync_schedule(env),
        clock=_clock,
    )


def sync_schedule(env: ProviderEnv | None = None) -> SyncSchedule:
    from reschedule_dispatch.services.schedule_mirror import SyncSchedule

    env = env or ProviderEnv()
    return SyncSchedule(mirror=schedule_mirror(env), live=_live_provider(env), clock=_clock)


_connected: dict[tuple[str, str], BusinessProviders] = {}


def business_providers(env: ProviderEnv) -> BusinessProviders:
    """One per process, so every service shares the connected adapters (and their tokens)."""
    key = (env.app_table_name, env.provider_table_name)
    if key not in _connected:
        connections = ProviderConnections(
            _table(env.provider_table_name), _table(env.app_table_name), _secret, clock=_clock
        )
        _connected[key] = BusinessProviders(_businesses(env.app_table_name), connections)
    return _connected[key]


class AppEnv(EnvSettings):
    app_table_name: str


class ProviderEnv(AppEnv):
    provider_table_name: str
    # Amazon Location route calculator for drive times; unset: the offline model.
    route_calculator_name: str | None = None


class TwilioEnv(EnvSettings):
    twilio_secret_arn: str
    twilio_api_base_url: str | None = None  # the local sandbox; unset in AWS
    public_base_url: str = ""


class EmailEnv(EnvSettings):
    # Unset: the business's customers get no email (the drawer says so).
    sendgrid_secret_arn: str | None = None
    sendgrid_api_base_url: str | None = None  # the local sandbox; unset in AWS


class SlackEnv(EnvSettings):
    # Unset: no staff notifications, whatever the businesses' settings.
    slack_secret_arn: str | None = None
    slack_api_base_url: str | None = None  # the local sandbox; unset in AWS
    console_url: str = ""  # where notifications link to


class CompensateEnv(AppEnv, SlackEnv):
    pass


class SendLinkEnv(ProviderEnv, TwilioEnv, EmailEnv):
    expire_function_arn: str
    scheduler_role_arn: str
    schedule_group_name: str
    expiry_dead_letter_queue_arn: str


class DispatcherEnv(ProviderEnv):
    # The preview's placeholder link must be as long as the SMS's real one.
    public_base_url: str = ""


class PortalEnv(ProviderEnv):
    confirm_state_machine_arn: str
    # Link guessing (docs/security.md): unknown tokens one client may try per window.
    # (at least 1 each: GuessLimit refuses less)
    unknown_link_limit: int = UNKNOWN_LINKS_PER_WINDOW
    unknown_link_window_seconds: int = WINDOW_SECONDS


class FinalizeEnv(AppEnv, TwilioEnv, SlackEnv, EmailEnv):
    schedule_group_name: str


class WatchdogEnv(FinalizeEnv, ProviderEnv):
    pass


class SessionActionsEnv(AppEnv, TwilioEnv):
    schedule_group_name: str


def _table(name: str) -> Any:
    return boto3.resource("dynamodb").Table(name)


_directories: dict[str, DynamoBusinessDirectory] = {}


def _businesses(table_name: str) -> DynamoBusinessDirectory:
    """One directory per process, so a settings change is seen by every service at once."""
    if table_name not in _directories:
        _directories[table_name] = DynamoBusinessDirectory(_table(table_name))
    return _directories[table_name]


def twilio_credentials(env: TwilioEnv) -> dict[str, str]:
    """Twilio's account SID and auth token from Secrets Manager, cached for five minutes."""
    secret = _secret(env.twilio_secret_arn)
    return {"account_sid": str(secret["account_sid"]), "auth_token": str(secret["auth_token"])}


def _secret(arn: str) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    secret: dict[str, Any] = parameters.get_secret(
        arn, transform="json", max_age=SECRET_MAX_AGE_SECONDS
    )
    return secret


def email_sender(env: EmailEnv) -> EmailSender | None:
    if not env.sendgrid_secret_arn:
        return None
    from reschedule_dispatch.adapters.sendgrid_email import SendGridEmailSender

    api_key = str(_secret(env.sendgrid_secret_arn)["api_key"])
    return SendGridEmailSender(api_key, api_base_url=env.sendgrid_api_base_url)


def staff_notifier(env: SlackEnv) -> StaffNotifier | None:
    if not env.slack_secret_arn:
        return None
    from reschedule_dispatch.adapters.slack_notifier import SlackNotifier

    bot_token = str(_secret(env.slack_secret_arn)["bot_token"])
    return SlackNotifier(bot_token, api_base_url=env.slack_api_base_url)


def sms_sender(env: TwilioEnv) -> SmsSender:
    from reschedule_dispatch.adapters.twilio_sms import TwilioSmsSender, twilio_client

    credentials = twilio_credentials(env)
    return TwilioSmsSender(
        twilio_client(
            credentials["account_sid"], credentials["auth_token"], env.twilio_api_base_url
        )
    )


def send_link(env: SendLinkEnv | None = None, own_arn: str | None = None) -> SendLink:
    """`own_arn`: this function's ARN, the target of the sends it schedules past quiet hours."""
    from reschedule_dispatch.services.send_link import SendLink

    env = env or SendLinkEnv()
    app_table = _table(env.app_table_name)
    sends = (
        EventBridgeScheduledSends(
            boto3.client("scheduler"),
            env.schedule_group_name,
            own_arn,
            env.scheduler_role_arn,
            env.expiry_dead_letter_queue_arn,
        )
        if own_arn
        else None
    )
    return SendLink(
        sessions=DynamoSessionRepository(app_table),
        provider=_live_provider(env),  # the version the confirm's If-Match starts from
        businesses=_businesses(env.app_table_name),
        sms=sms_sender(env),
        email=email_sender(env),
        sends=sends,
        contacts=DynamoContacts(app_table),
        suggestions=DynamoSuggestions(app_table),
        expiry=EventBridgeExpiryScheduler(
            boto3.client("scheduler"),
            env.schedule_group_name,
            env.expire_function_arn,
            env.scheduler_role_arn,
            env.expiry_dead_letter_queue_arn,
        ),
        clock=_clock,
    )


def search_customers(env: ProviderEnv | None = None) -> SearchCustomers:
    from reschedule_dispatch.services.queries import SearchCustomers

    env = env or ProviderEnv()
    return SearchCustomers(
        _provider(env),
        DynamoSessionRepository(_table(env.app_table_name)),
        _clock,
    )


def preview_message(env: ProviderEnv | None = None) -> PreviewMessage:
    from reschedule_dispatch.services.queries import PreviewMessage

    env = env or ProviderEnv()
    return PreviewMessage(_provider(env), _businesses(env.app_table_name))


def get_business(env: AppEnv | None = None) -> GetBusiness:
    from reschedule_dispatch.services.business_settings import GetBusiness

    env = env or AppEnv()
    return GetBusiness(_businesses(env.app_table_name))


def update_settings(env: AppEnv | None = None) -> UpdateSettings:
    from reschedule_dispatch.services.business_settings import UpdateSettings

    env = env or AppEnv()
    return UpdateSettings(_businesses(env.app_table_name))


def _travel_for(env: ProviderEnv) -> Callable[[BusinessSettings], TravelTime]:
    """The business's travel-time model: Amazon Location when configured, else offline."""
    calculator = env.route_calculator_name
    if not calculator:
        return travel_from_settings
    return _amazon_location(calculator)


def _amazon_location(calculator: str) -> Callable[[BusinessSettings], TravelTime]:
    return _route_service(calculator)


@cache  # one client and route cache per container: openings, move checks and the mirror's
# stop drives share the routes
def _route_service(calculator: str) -> Callable[[BusinessSettings], AmazonLocationTravelTime]:
    from reschedule_dispatch.adapters.amazon_location import AmazonLocationTravelTime, RouteCache

    client = boto3.client("location")
    routes = RouteCache()

    def amazon_location(settings: BusinessSettings) -> AmazonLocationTravelTime:
        return AmazonLocationTravelTime(
            client, calculator, cache=routes, fallback=travel_from_settings(settings)
        )

    return amazon_location


def find_openings(env: ProviderEnv, provider: SchedulingProvider) -> FindOpenings:
    from reschedule_dispatch.services.openings import FindOpenings

    return FindOpenings(provider, _clock, _travel_for(env))


def appointment_openings(env: ProviderEnv | None = None) -> AppointmentOpeningsQuery:
    from reschedule_dispatch.services.openings import AppointmentOpeningsQuery

    env = env or ProviderEnv()
    provider = _provider(env)
    return AppointmentOpeningsQuery(
        provider, _businesses(env.app_table_name), find_openings(env, provider)
    )


def get_session(env: AppEnv | None = None) -> GetSession:
    from reschedule_dispatch.services.queries import GetSession

    env = env or AppEnv()
    return GetSession(DynamoSessionRepository(_table(env.app_table_name)))


def customer_links(env: PortalEnv | None = None) -> CustomerLinks:
    from reschedule_dispatch.services.portal import CustomerLinks

    env = env or PortalEnv()
    app_table = _table(env.app_table_name)
    provider = _provider(env)
    return CustomerLinks(
        sessions=DynamoSessionRepository(app_table),
        provider=provider,
        businesses=_businesses(env.app_table_name),
        workflow=StepFunctionsConfirmWorkflow(
            boto3.client("stepfunctions"), env.confirm_state_machine_arn
        ),
        clock=_clock,
        openings=find_openings(env, provider),
        guessing=_link_guessing(env, app_table),
        private_to_browser=True,
    )


def _link_guessing(env: PortalEnv, app_table: Any) -> LinkGuessing:
    from reschedule_dispatch.services.link_guessing import LinkGuessing

    limit = GuessLimit(env.unknown_link_limit, env.unknown_link_window_seconds)
    return LinkGuessing(DynamoGuessThrottle(app_table), _clock, limit)


def hold_opening(env: AppEnv | None = None) -> HoldOpening:
    from reschedule_dispatch.services.lifecycle import HoldOpening

    env = env or AppEnv()
    app_table = _table(env.app_table_name)
    return HoldOpening(DynamoSessionRepository(app_table), DynamoOpeningHolds(app_table), _clock)


def check_appointment(env: ProviderEnv | None = None) -> CheckAppointment:
    from reschedule_dispatch.services.lifecycle import CheckAppointment

    env = env or ProviderEnv()
    return CheckAppointment(
        DynamoSessionRepository(_table(env.app_table_name)),
        _live_provider(env),
        resync=sync_schedule(env).technicians,
    )


def move_appointment(env: ProviderEnv | None = None) -> MoveAppointment:
    from reschedule_dispatch.services.lifecycle import MoveAppointment

    env = env or ProviderEnv()
    return MoveAppointment(
        DynamoSessionRepository(_table(env.app_table_name)),
        _live_provider(env),
        mirror=schedule_mirror(env),
    )


def _schedule_deleter(kind: type[_Schedules], group_name: str) -> _Schedules:
    # Deleting a schedule needs only its name and group: no target, role or dead-letter queue.
    return kind(boto3.client("scheduler"), group_name, "", "", "")


def finalize_reschedule(env: FinalizeEnv | None = None) -> FinalizeReschedule:
    from reschedule_dispatch.services.lifecycle import FinalizeReschedule

    env = env or FinalizeEnv()
    app_table = _table(env.app_table_name)
    return FinalizeReschedule(
        DynamoSessionRepository(app_table),
        _businesses(env.app_table_name),
        _schedule_deleter(EventBridgeExpiryScheduler, env.schedule_group_name),
        sms_sender(env),
        _clock,
        DynamoContacts(app_table),
        DynamoOpeningHolds(app_table),
        tell_staff(env),
        email_sender(env),  # a dispatcher's move emails its invitation
    )


def tell_staff(env: CompensateEnv | FinalizeEnv) -> TellStaff | None:
    from reschedule_dispatch.services.staff_notifications import TellStaff

    notifier = staff_notifier(env)
    if notifier is None:
        return None
    return TellStaff(
        notifier,
        _businesses(env.app_table_name),
        DynamoSessionRepository(_table(env.app_table_name)),
        _clock,
        env.console_url,
    )


def resolve_session(env: WatchdogEnv | None = None) -> ResolveSession:
    from reschedule_dispatch.services.watchdog import ResolveSession

    env = env or WatchdogEnv()
    return ResolveSession(
        sessions=DynamoSessionRepository(_table(env.app_table_name)),
        provider=_live_provider(env),  # where the appointment really is, never the mirror
        finalize=finalize_reschedule(env),
        compensate=compensate(env),
        mirror=schedule_mirror(env),
    )


def watch_stuck_sessions(
    state_machine_arn: str, env: WatchdogEnv | None = None
) -> WatchStuckSessions:
    """The round over the confirm workflow `state_machine_arn` (its rule's payload names it:
    the machine invokes the watchdog, so the function cannot reference the machine)."""
    from reschedule_dispatch.services.watchdog import WatchStuckSessions

    env = env or WatchdogEnv()
    return WatchStuckSessions(
        businesses=_businesses(env.app_table_name),
        sessions=DynamoSessionRepository(_table(env.app_table_name)),
        workflows=StepFunctionsConfirmWorkflow(boto3.client("stepfunctions"), state_machine_arn),
        resolve=resolve_session(env),
        clock=_clock,
    )


def compensate(env: CompensateEnv | FinalizeEnv | None = None) -> Compensate:
    from reschedule_dispatch.services.lifecycle import Compensate

    env = env or CompensateEnv()
    app_table = _table(env.app_table_name)
    return Compensate(
        DynamoSessionRepository(app_table),
        DynamoOpeningHolds(app_table),
        _clock,
        tell_staff(env),
    )


def list_sessions(env: AppEnv | None = None) -> ListSessions:
    from reschedule_dispatch.services.session_actions import ListSessions

    env = env or AppEnv()
    return ListSessions(DynamoSessionRepository(_table(env.app_table_name)))


def cancel_session(env: SessionActionsEnv | None = None) -> CancelSession:
    from reschedule_dispatch.services.session_actions import CancelSession

    env = env or SessionActionsEnv()
    app_table = _table(env.app_table_name)
    return CancelSession(
        DynamoSessionRepository(app_table),
        _schedule_deleter(EventBridgeExpiryScheduler, env.schedule_group_name),
        _clock,
        _businesses(env.app_table_name),
        sms_sender(env),
        DynamoContacts(app_table),
        _schedule_deleter(EventBridgeScheduledSends, env.schedule_group_name),
    )


def resend_link(env: SessionActionsEnv | None = None) -> ResendLink:
    from reschedule_dispatch.services.session_actions import ResendLink

    env = env or SessionActionsEnv()
    app_table = _table(env.app_table_name)
    return ResendLink(
        DynamoSessionRepository(app_table),
        _businesses(env.app_table_name),
        sms_sender(env),
        _clock,
        DynamoContacts(app_table),
    )


def expire_session(env: AppEnv | None = None) -> ExpireSession:
    from reschedule_dispatch.services.lifecycle import ExpireSession

    env = env or AppEnv()
    return ExpireSession(DynamoSessionRepository(_table(env.app_table_name)), _clock)


def record_delivery(env: AppEnv | None = None) -> RecordDelivery:
    from reschedule_dispatch.services.lifecycle import RecordDelivery

    env = env or AppEnv()
    app_table = _table(env.app_table_name)
    return RecordDelivery(DynamoSessionRepository(app_table), _clock, DynamoContacts(app_table))


def inbound_message(env: AppEnv | None = None) -> InboundMessage:
    from reschedule_dispatch.services.messaging import InboundMessage

    env = env or AppEnv()
    app_table = _table(env.app_table_name)
    return InboundMessage(
        DynamoContacts(app_table),
        DynamoSessionRepository(app_table),
        _businesses(env.app_table_name),
        _clock,
    )


class WebhooksEnv(AppEnv, TwilioEnv):
    pass


class ProviderWebhooksEnv(ProviderEnv):
    schedule_group_name: str
    # The send-link function, for businesses that send provider-triggered links themselves.
    send_link_function_name: str | None = None
    public_base_url: str = ""


def receive_provider_webhook(
    env: ProviderWebhooksEnv, public_base_url: str
) -> ReceiveProviderWebhook:
    """`public_base_url`: where the links sent automatically point (this API's origin)."""
    from reschedule_dispatch.services.provider_events import ReceiveProviderWebhook

    return ReceiveProviderWebhook(
        business_providers(env),
        apply_provider_event(env, public_base_url),
        seen=DynamoSeenEvents(_table(env.app_table_name)),
        clock=_clock,
    )


def apply_provider_event(env: ProviderWebhooksEnv, public_base_url: str) -> ApplyProviderEvent:
    """What a verified provider event does (also the local stack's /dev/provider-events)."""
    from reschedule_dispatch.services.provider_events import ApplyProviderEvent

    app_table = _table(env.app_table_name)
    send_automatically = (
        LambdaSuggestedSends(boto3.client("lambda"), env.send_link_function_name, public_base_url)
        if env.send_link_function_name
        else None
    )
    return ApplyProviderEvent(
        sessions=DynamoSessionRepository(app_table),
        provider=_live_provider(env),
        businesses=_businesses(env.app_table_name),
        suggestions=DynamoSuggestions(app_table),
        expiry=_schedule_deleter(EventBridgeExpiryScheduler, env.schedule_group_name),
        sends=_schedule_deleter(EventBridgeScheduledSends, env.schedule_group_name),
        clock=_clock,
        send_automatically=send_automatically,
        resync=sync_schedule(env).appointment,
    )


class ProviderChannelsEnv(ProviderEnv):
    # Where providers send notifications: the API's public origin (its custom domain, else
    # its execute-api URL with the stage).
    webhook_base_url: str


def keep_providers_notified(env: ProviderChannelsEnv | None = None) -> KeepProvidersNotified:
    from reschedule_dispatch.services.provider_events import KeepProvidersNotified

    env = env or ProviderChannelsEnv()
    return KeepProvidersNotified(
        _businesses(env.app_table_name),
        business_providers(env),
        env.webhook_base_url,
        _clock,
    )


def list_suggestions(env: AppEnv | None = None) -> ListSuggestions:
    from reschedule_dispatch.services.provider_events import ListSuggestions

    env = env or AppEnv()
    return ListSuggestions(DynamoSuggestions(_table(env.app_table_name)))


def dismiss_suggestion(env: AppEnv | None = None) -> DismissSuggestion:
    from reschedule_dispatch.services.provider_events import DismissSuggestion

    env = env or AppEnv()
    return DismissSuggestion(DynamoSuggestions(_table(env.app_table_name)))


def check_provider_connection(env: ProviderEnv | None = None) -> CheckProviderConnection:
    from reschedule_dispatch.services.business_settings import CheckProviderConnection

    env = env or ProviderEnv()
    return CheckProviderConnection(_businesses(env.app_table_name), _live_provider(env))


class MoveEnv(ProviderEnv):
    """The dispatcher API's move routes: they start the confirm workflow and close links."""

    confirm_state_machine_arn: str
    schedule_group_name: str
    public_base_url: str = ""


def check_move(env: ProviderEnv | None = None) -> CheckMove:
    from reschedule_dispatch.services.dispatcher_move import CheckMove

    env = env or ProviderEnv()
    return CheckMove(
        _provider(env),
        _businesses(env.app_table_name),
        _clock,
        _travel_for(env),
    )


def move_by_dispatcher(env: MoveEnv | None = None) -> MoveByDispatcher:
    from reschedule_dispatch.services.dispatcher_move import MoveByDispatcher

    env = env or MoveEnv()
    app_table = _table(env.app_table_name)
    return MoveByDispatcher(
        check=check_move(env),
        sessions=DynamoSessionRepository(app_table),
        provider=_live_provider(env),  # the version the workflow's If-Match starts from
        workflow=StepFunctionsConfirmWorkflow(
            boto3.client("stepfunctions"), env.confirm_state_machine_arn
        ),
        expiry=_schedule_deleter(EventBridgeExpiryScheduler, env.schedule_group_name),
        sends=_schedule_deleter(EventBridgeScheduledSends, env.schedule_group_name),
        contacts=DynamoContacts(app_table),
        clock=_clock,
    )


def appointment_timeline(env: ProviderEnv | None = None) -> AppointmentTimeline:
    from reschedule_dispatch.services.queries import AppointmentTimeline

    env = env or ProviderEnv()
    return AppointmentTimeline(DynamoSessionRepository(_table(env.app_table_name)), _provider(env))


def invitation_calendars(env: PortalEnv | None = None) -> InvitationCalendars:
    from reschedule_dispatch.services.invitation import InvitationCalendars

    env = env or PortalEnv()
    app_table = _table(env.app_table_name)
    return InvitationCalendars(
        DynamoSessionRepository(app_table),
        _businesses(env.app_table_name),
        _link_guessing(env, app_table),
        _clock,
    )


def schedule(env: ProviderEnv | None = None) -> ScheduleQuery:
    from reschedule_dispatch.services.schedule import ScheduleQuery

    env = env or ProviderEnv()
    return ScheduleQuery(
        _provider(env),
        _businesses(env.app_table_name),
        DynamoSessionRepository(_table(env.app_table_name)),
        _clock,
    )
