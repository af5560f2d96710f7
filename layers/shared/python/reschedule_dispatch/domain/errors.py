"""Domain errors. Entry points map each kind to one answer (HTTP status, page, workflow error)."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Something the caller asked for cannot be done; the message is safe to show."""


class NotFound(DomainError):
    """The thing does not exist, or belongs to another business (never say which)."""


class NotAllowed(DomainError):
    """The person is signed in, but their role does not let them do this (an admin's)."""


class Conflict(DomainError):
    """The request clashes with the current state (e.g. a closed session)."""


class SessionAlreadyOpen(Conflict):
    """The appointment already has a session in progress: one at a time."""

    def __init__(self, session_id: str) -> None:
        super().__init__("This appointment already has a reschedule link in progress.")
        self.session_id = session_id


class RulesBroken(Conflict):
    """A dispatcher's chosen time breaks the business's rules, and no override was given."""

    def __init__(self, rules: list[str]) -> None:
        super().__init__(
            f"This time breaks the business's rules: {'; '.join(rules)}. "
            "Move it anyway only with an override."
        )
        self.rules = rules


class OpeningTaken(Conflict):
    """Somebody else booked or is booking the chosen time."""


class LinkGone(DomainError):
    """The customer's link can no longer be used (expired, canceled, completed or failed)."""


class Unprocessable(DomainError):
    """The request is well formed but breaks a rule (e.g. an opening that is not offered)."""


class ProviderError(DomainError):
    """Base of the scheduling provider's typed errors."""


class AppointmentChanged(ProviderError):
    """The appointment changed elsewhere since we read it (version / ETag mismatch)."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, timed out or answered 5xx; the caller may retry."""


class ProviderRateLimited(ProviderError):
    """The provider answered 429; retry after `retry_after_seconds`."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ProviderUnauthorized(ProviderError):
    """The provider refused our credentials (even after a token refresh): reconnect it."""


class WebhookRejected(DomainError):
    """An inbound webhook failed verification (401 without credentials, 403 with wrong ones)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class MessagingUnavailable(DomainError):
    """The SMS provider could not take the message right now; nothing was sent."""


class QuietHours(Conflict):
    """It is quiet hours for the customer: no message now."""

    def __init__(self, message: str, next_allowed_at: datetime) -> None:
        super().__init__(message)
        self.next_allowed_at = next_allowed_at


class TooManyGuesses(DomainError):
    """This client tried too many unknown links lately: refused until its window ends."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many links that don't exist were tried from here. Try again later.")
        self.retry_after_seconds = retry_after_seconds
