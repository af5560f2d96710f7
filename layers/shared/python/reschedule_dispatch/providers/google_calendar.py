"""Google Calendar: a calendar per technician, appointments as events (adapters/google_calendar.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reschedule_dispatch.providers import Connecting, Provider

if TYPE_CHECKING:  # the registry is read while the domain's models are being defined
    from reschedule_dispatch.domain.ports import SchedulingProvider


def connect(connecting: Connecting) -> SchedulingProvider:
    from reschedule_dispatch.adapters import google_calendar as google
    from reschedule_dispatch.adapters.provider_connections import validated

    config, credentials = validated(
        PROVIDER.name,
        (google.GoogleCalendarConfig, connecting.options),
        (google.GoogleCalendarCredentials, connecting.credentials),
    )
    return google.GoogleCalendarProvider(
        config,
        credentials,
        connecting.state,
        clock=connecting.clock,
        # Its number is never a customer's, and its region reads numbers people typed.
        business_phone=connecting.business.phone,
    )


PROVIDER = Provider(kind="google_calendar", name="Google Calendar", connect=connect)
