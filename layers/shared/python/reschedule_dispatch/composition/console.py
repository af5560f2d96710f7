"""The dispatcher console's functions: its reads (dispatcher_api), its moves
(dispatcher_move), its settings and its session actions."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from reschedule_dispatch.composition import parts
from reschedule_dispatch.composition.family import FunctionServices
from reschedule_dispatch.composition.settings import (
    AppEnv,
    ConnectionsEnv,
    DispatcherEnv,
    MoveEnv,
    SessionActionsEnv,
    TeamEnv,
)

if TYPE_CHECKING:  # each route's service loads with its first request (the openings engine...)
    from reschedule_dispatch.services.business_settings import (
        CheckProviderConnection,
        GetBusiness,
        UpdateSettings,
    )
    from reschedule_dispatch.services.connections import (
        Disconnect,
        FinishConnection,
        OAuthApps,
        StartConnection,
    )
    from reschedule_dispatch.services.dispatcher_move import CheckMove, MoveByDispatcher
    from reschedule_dispatch.services.openings import DispatcherOpenings
    from reschedule_dispatch.services.provider_events import DismissSuggestion, ListSuggestions
    from reschedule_dispatch.services.queries import (
        AppointmentTimeline,
        GetSession,
        PreviewMessage,
        SearchCustomers,
    )
    from reschedule_dispatch.services.schedule import ScheduleQuery
    from reschedule_dispatch.services.session_actions import (
        CancelSession,
        ListSessions,
        ResendLink,
    )
    from reschedule_dispatch.services.team import (
        InviteToTeam,
        ListTeam,
        RemoveFromTeam,
        SignUpBusiness,
    )


class ConsoleReads(FunctionServices[DispatcherEnv]):
    environment = DispatcherEnv

    @cached_property
    def search_customers(self) -> SearchCustomers:
        from reschedule_dispatch.services.queries import SearchCustomers

        return SearchCustomers(
            provider=self.deps.people_schedule(self.env),
            sessions=parts.sessions(self.deps, self.env),
            clock=self.clock,
        )

    @cached_property
    def get_session(self) -> GetSession:
        from reschedule_dispatch.services.queries import GetSession

        return GetSession(sessions=parts.sessions(self.deps, self.env))

    @cached_property
    def list_sessions(self) -> ListSessions:
        from reschedule_dispatch.services.session_actions import ListSessions

        return ListSessions(sessions=parts.sessions(self.deps, self.env))

    @cached_property
    def get_business(self) -> GetBusiness:
        return parts.get_business(self.deps, self.env)

    @cached_property
    def preview_message(self) -> PreviewMessage:
        from reschedule_dispatch.services.queries import PreviewMessage

        return PreviewMessage(
            provider=self.deps.people_schedule(self.env),
            businesses=self.deps.businesses(self.env.app_table_name),
        )

    @cached_property
    def appointment_openings(self) -> DispatcherOpenings:
        from reschedule_dispatch.services.openings import DispatcherOpenings

        schedule = self.deps.people_schedule(self.env)
        return DispatcherOpenings(
            provider=schedule,
            businesses=self.deps.businesses(self.env.app_table_name),
            find=parts.find_openings(self.deps, self.env, schedule),
        )

    @cached_property
    def list_suggestions(self) -> ListSuggestions:
        from reschedule_dispatch.services.provider_events import ListSuggestions

        return ListSuggestions(suggestions=parts.suggestions(self.deps, self.env))

    @cached_property
    def check_provider_connection(self) -> CheckProviderConnection:
        from reschedule_dispatch.services.business_settings import CheckProviderConnection

        return CheckProviderConnection(
            businesses=self.deps.businesses(self.env.app_table_name),
            provider=self.deps.live_provider(self.env),
        )

    @cached_property
    def check_move(self) -> CheckMove:
        return parts.check_move(self.deps, self.env)

    @cached_property
    def appointment_timeline(self) -> AppointmentTimeline:
        from reschedule_dispatch.services.queries import AppointmentTimeline

        return AppointmentTimeline(
            sessions=parts.sessions(self.deps, self.env),
            provider=self.deps.people_schedule(self.env),
        )

    @cached_property
    def schedule(self) -> ScheduleQuery:
        from reschedule_dispatch.services.schedule import ScheduleQuery

        return ScheduleQuery(
            provider=self.deps.people_schedule(self.env),
            businesses=self.deps.businesses(self.env.app_table_name),
            sessions=parts.sessions(self.deps, self.env),
            clock=self.clock,
        )


class DispatcherMoves(FunctionServices[MoveEnv]):
    environment = MoveEnv

    @cached_property
    def check_move(self) -> CheckMove:
        return parts.check_move(self.deps, self.env)

    @cached_property
    def move_by_dispatcher(self) -> MoveByDispatcher:
        from reschedule_dispatch.services.dispatcher_move import MoveByDispatcher

        return MoveByDispatcher(
            check=self.check_move,
            sessions=parts.sessions(self.deps, self.env),
            # the version the workflow's If-Match starts from
            provider=self.deps.live_provider(self.env),
            workflow=parts.confirm_workflow(self.deps, self.env.confirm_state_machine_arn),
            expiry=parts.expiry_deleter(self.deps, self.env.schedule_group_name),
            sends=parts.sends_deleter(self.deps, self.env.schedule_group_name),
            contacts=parts.contacts(self.deps, self.env),
            clock=self.clock,
        )


class SettingsServices(FunctionServices[AppEnv]):
    environment = AppEnv

    @cached_property
    def get_business(self) -> GetBusiness:
        return parts.get_business(self.deps, self.env)

    @cached_property
    def update_settings(self) -> UpdateSettings:
        from reschedule_dispatch.services.business_settings import UpdateSettings

        return UpdateSettings(businesses=self.deps.businesses(self.env.app_table_name))


class SessionActions(FunctionServices[SessionActionsEnv]):
    environment = SessionActionsEnv

    @cached_property
    def resend_link(self) -> ResendLink:
        from reschedule_dispatch.services.session_actions import ResendLink

        return ResendLink(
            sessions=parts.sessions(self.deps, self.env),
            businesses=self.deps.businesses(self.env.app_table_name),
            sms=self.deps.sms_sender(self.env),
            clock=self.clock,
            contacts=parts.contacts(self.deps, self.env),
        )

    @cached_property
    def cancel_session(self) -> CancelSession:
        from reschedule_dispatch.services.session_actions import CancelSession

        return CancelSession(
            sessions=parts.sessions(self.deps, self.env),
            expiry=parts.expiry_deleter(self.deps, self.env.schedule_group_name),
            clock=self.clock,
            businesses=self.deps.businesses(self.env.app_table_name),
            sms=self.deps.sms_sender(self.env),
            contacts=parts.contacts(self.deps, self.env),
            sends=parts.sends_deleter(self.deps, self.env.schedule_group_name),
        )

    @cached_property
    def dismiss_suggestion(self) -> DismissSuggestion:
        from reschedule_dispatch.services.provider_events import DismissSuggestion

        return DismissSuggestion(suggestions=parts.suggestions(self.deps, self.env))


class TeamServices(FunctionServices[TeamEnv]):
    environment = TeamEnv

    @cached_property
    def sign_up(self) -> SignUpBusiness:
        from reschedule_dispatch.services.team import SignUpBusiness

        return SignUpBusiness(
            team=parts.team(self.deps, self.env),
            identities=self.deps.identities(self.env),
            clock=self.clock,
        )

    @cached_property
    def list_team(self) -> ListTeam:
        from reschedule_dispatch.services.team import ListTeam

        return ListTeam(team=parts.team(self.deps, self.env))

    @cached_property
    def invite(self) -> InviteToTeam:
        from reschedule_dispatch.services.team import InviteToTeam

        return InviteToTeam(
            team=parts.team(self.deps, self.env),
            identities=self.deps.identities(self.env),
            clock=self.clock,
        )

    @cached_property
    def remove(self) -> RemoveFromTeam:
        from reschedule_dispatch.services.team import RemoveFromTeam

        return RemoveFromTeam(
            team=parts.team(self.deps, self.env), identities=self.deps.identities(self.env)
        )


class ConnectionServices(FunctionServices[ConnectionsEnv]):
    """Connecting the business's calendar from Settings (OAuth), and disconnecting it."""

    environment = ConnectionsEnv

    @cached_property
    def apps(self) -> OAuthApps:
        from reschedule_dispatch.domain.connections import OAuthClient
        from reschedule_dispatch.services.connections import OAuthApps

        env = self.env

        def client(kind: str) -> OAuthClient:
            registered = self.deps.secret(env.oauth_apps_secret_arn)
            return OAuthClient(
                str(registered.get(f"{kind}_client_id", "")),
                str(registered.get(f"{kind}_client_secret", "")),
            )

        endpoints = {}
        if env.google_authorize_url and env.google_token_url:
            endpoints["google_calendar"] = (env.google_authorize_url, env.google_token_url)
        fresh: dict[str, dict[str, str]] = {"google_calendar": {}}
        if env.google_token_url:
            fresh["google_calendar"]["token_url"] = env.google_token_url
        if env.google_calendar_api_url:
            fresh["google_calendar"]["api_base_url"] = env.google_calendar_api_url
        return OAuthApps(clients=client, endpoints=endpoints, fresh_options=fresh)

    @cached_property
    def _pending(self):  # type: ignore[no-untyped-def]
        from reschedule_dispatch.adapters.oauth_connections import DynamoPendingConnections

        return DynamoPendingConnections(self.deps.table(self.env.app_table_name))

    @cached_property
    def _secrets(self):  # type: ignore[no-untyped-def]
        from reschedule_dispatch.adapters.oauth_connections import SecretsManagerProviderSecrets

        return SecretsManagerProviderSecrets(self.deps.client("secretsmanager"))

    @cached_property
    def start(self) -> StartConnection:
        from reschedule_dispatch.services.connections import StartConnection

        return StartConnection(pending=self._pending, apps=self.apps, clock=self.clock)

    @cached_property
    def finish(self) -> FinishConnection:
        from reschedule_dispatch.adapters.oauth_connections import HttpTokenExchange
        from reschedule_dispatch.services.connections import FinishConnection

        return FinishConnection(
            pending=self._pending,
            apps=self.apps,
            exchange=HttpTokenExchange(),
            secrets=self._secrets,
            businesses=self.deps.businesses(self.env.app_table_name),
            clock=self.clock,
        )

    @cached_property
    def disconnect(self) -> Disconnect:
        from reschedule_dispatch.services.connections import Disconnect

        return Disconnect(
            secrets=self._secrets, businesses=self.deps.businesses(self.env.app_table_name)
        )
