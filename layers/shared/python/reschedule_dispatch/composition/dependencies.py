"""What one process's services share, built once: the clock, AWS clients and tables,
secrets, the outside senders, each business's directory entry and connected provider,
the schedule mirror and the route cache.

A Lambda container is one process, so this is one object per function; the local stack
runs every function in one process and shares one, as their caches must agree (a settings
change seen by every service at once). Tests build their own and hand it to a function's
services (composition/family.py): nothing here is a module global a test must reset.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3

from reschedule_dispatch.adapters.clock import SystemClock
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror
from reschedule_dispatch.adapters.provider_connections import ProviderConnections
from reschedule_dispatch.adapters.provider_router import BusinessProviders, RoutedProvider
from reschedule_dispatch.composition.settings import (
    EmailEnv,
    ProviderEnv,
    SlackEnv,
    TeamEnv,
    TwilioEnv,
)
from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.ports import (
    Clock,
    EmailSender,
    SchedulingProvider,
    SmsSender,
    StaffNotifier,
)
from reschedule_dispatch.domain.travel import TravelTime, travel_from_settings

if TYPE_CHECKING:
    from reschedule_dispatch.adapters.amazon_location import AmazonLocationTravelTime
    from reschedule_dispatch.adapters.cognito_identities import CognitoIdentities
    from reschedule_dispatch.services.schedule_mirror import MirroredSchedule

SECRET_MAX_AGE_SECONDS = 300

T = TypeVar("T")
ProviderWrapper = Callable[[SchedulingProvider], SchedulingProvider]


class Dependencies:
    """`clock`: what every service reads the time from (the local stack's settable one);
    `wrap_provider`: what the local stack puts around each provider (fault injection)."""

    def __init__(
        self, *, clock: Clock | None = None, wrap_provider: ProviderWrapper | None = None
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._wrap_provider = wrap_provider
        self._built: dict[Hashable, Any] = {}
        # The local stack serves functions from threads over one set; builds nest (providers
        # need the directory, which needs a table), hence reentrant.
        self._building = threading.RLock()

    def _once(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._building:
            if key not in self._built:
                self._built[key] = build()
            return cast(T, self._built[key])

    # AWS

    def client(self, service: str) -> Any:
        """One boto3 client per AWS service for the process (scheduler, stepfunctions...)."""
        make: Any = boto3.client  # typed per service name; the name is a variable here
        return self._once(("client", service), lambda: make(service))

    def table(self, name: str) -> Any:
        dynamodb = self._once("dynamodb", lambda: boto3.resource("dynamodb"))
        return self._once(("table", name), lambda: dynamodb.Table(name))

    def secret(self, arn: str) -> dict[str, Any]:
        """A Secrets Manager secret as JSON, cached five minutes (a rotation is seen)."""
        from aws_lambda_powertools.utilities import parameters

        secret: dict[str, Any] = parameters.get_secret(
            arn, transform="json", max_age=SECRET_MAX_AGE_SECONDS
        )
        return secret

    # Who we talk to

    def twilio_credentials(self, env: TwilioEnv) -> dict[str, str]:
        secret = self.secret(env.twilio_secret_arn)
        return {"account_sid": str(secret["account_sid"]), "auth_token": str(secret["auth_token"])}

    def sms_sender(self, env: TwilioEnv) -> SmsSender:
        from reschedule_dispatch.adapters.twilio_sms import TwilioSmsSender, twilio_client

        credentials = self.twilio_credentials(env)
        return TwilioSmsSender(
            twilio_client(
                credentials["account_sid"], credentials["auth_token"], env.twilio_api_base_url
            )
        )

    def email_sender(self, env: EmailEnv) -> EmailSender | None:
        """None when the stack has no SendGrid key: customers get no email."""
        if not env.sendgrid_secret_arn:
            return None
        from reschedule_dispatch.adapters.sendgrid_email import SendGridEmailSender

        api_key = str(self.secret(env.sendgrid_secret_arn)["api_key"])
        return SendGridEmailSender(api_key, api_base_url=env.sendgrid_api_base_url)

    def staff_notifier(self, env: SlackEnv) -> StaffNotifier | None:
        """None when the stack has no Slack token: no staff notifications."""
        if not env.slack_secret_arn:
            return None
        from reschedule_dispatch.adapters.slack_notifier import SlackNotifier

        bot_token = str(self.secret(env.slack_secret_arn)["bot_token"])
        return SlackNotifier(bot_token, api_base_url=env.slack_api_base_url)

    def identities(self, env: TeamEnv) -> CognitoIdentities:
        from reschedule_dispatch.adapters.cognito_identities import CognitoIdentities

        return CognitoIdentities(self.client("cognito-idp"), env.user_pool_id)

    # Businesses and their schedules

    def businesses(self, table_name: str) -> DynamoBusinessDirectory:
        """One directory per process, so a settings change is seen by every service at once."""
        return self._once(
            ("businesses", table_name), lambda: DynamoBusinessDirectory(self.table(table_name))
        )

    def business_providers(self, env: ProviderEnv) -> BusinessProviders:
        """One per process, so every service shares the connected adapters (and their tokens)."""

        def connect() -> BusinessProviders:
            connections = ProviderConnections(
                self.table(env.provider_table_name),
                self.table(env.app_table_name),
                self.secret,
                clock=self.clock,
            )
            return BusinessProviders(self.businesses(env.app_table_name), connections)

        return self._once(("providers", env.app_table_name, env.provider_table_name), connect)

    def live_provider(self, env: ProviderEnv) -> SchedulingProvider:
        """Each business's own scheduling provider, behind the one port: what is
        authoritative (the confirm workflow, a link's original version, what a webhook
        says changed)."""
        provider: SchedulingProvider = RoutedProvider(self.business_providers(env))
        return self._wrap_provider(provider) if self._wrap_provider else provider

    def schedule_mirror(self, env: ProviderEnv) -> DynamoScheduleMirror:
        """One per process: its short cache of each business's mirror state is shared. With
        a route calculator it keeps the drives between each technician's stops (billed
        once)."""
        calculator = env.route_calculator_name

        def mirror() -> DynamoScheduleMirror:
            stop_drives = self.route_service(calculator)(BusinessSettings()) if calculator else None
            return DynamoScheduleMirror(self.table(env.app_table_name), stop_drives=stop_drives)

        return self._once(("mirror", env.app_table_name, calculator), mirror)

    def people_schedule(self, env: ProviderEnv) -> MirroredSchedule:
        """The schedule as a person's reads see it: the mirror, the provider where it lacks."""
        from reschedule_dispatch.services.schedule_mirror import MirroredSchedule

        return MirroredSchedule(
            mirror=self.schedule_mirror(env), live=self.live_provider(env), on_miss=_mirror_miss
        )

    def travel_for(self, env: ProviderEnv) -> Callable[[BusinessSettings], TravelTime]:
        """The business's travel-time model: Amazon Location when configured, else offline."""
        calculator = env.route_calculator_name
        return self.route_service(calculator) if calculator else travel_from_settings

    def route_service(
        self, calculator: str
    ) -> Callable[[BusinessSettings], AmazonLocationTravelTime]:
        """One client and route cache per process: openings, move checks and the mirror's
        stop drives share the routes."""

        def build() -> Callable[[BusinessSettings], AmazonLocationTravelTime]:
            from reschedule_dispatch.adapters.amazon_location import (
                AmazonLocationTravelTime,
                RouteCache,
            )

            client, routes = self.client("location"), RouteCache()

            def amazon_location(settings: BusinessSettings) -> AmazonLocationTravelTime:
                return AmazonLocationTravelTime(
                    client, calculator, cache=routes, fallback=travel_from_settings(settings)
                )

            return amazon_location

        return self._once(("routes", calculator), build)


def _mirror_miss(operation: str) -> None:
    logging.getLogger("reschedule_dispatch.mirror").info(
        "Schedule read from the provider, not the mirror", extra={"operation": operation}
    )


_process: Dependencies | None = None


def start(
    *, clock: Clock | None = None, wrap_provider: ProviderWrapper | None = None
) -> Dependencies:
    """A fresh set for this process: the local stack calls it once, before any function's
    cold start, with its settable clock and its fault injection."""
    global _process
    _process = Dependencies(clock=clock, wrap_provider=wrap_provider)
    return _process


def dependencies() -> Dependencies:
    """This process's set: built on first use (in AWS, a function's first request)."""
    return _process or start()
