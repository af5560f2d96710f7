"""Domain errors. Entry points map each kind to one answer (HTTP status, page, workflow error)."""

from __future__ import annotations


class DomainError(Exception):
    """Something the caller asked for cannot be done; the message is safe to show."""


class NotFound(DomainError):
    """The thing does not exist, or belongs to another business (never say which)."""


class Conflict(DomainError):
    """The request clashes with the current state (e.g. a closed session)."""


class LinkGone(DomainError):
    """The customer's link can no longer be used (expired, canceled, completed or failed)."""


class Unprocessable(DomainError):
    """The request is well formed but breaks a rule (e.g. an opening that is not offered)."""


class ProviderError(DomainError):
    """Base of the scheduling provider's typed errors."""


class AppointmentChanged(ProviderError):
    """The appointment changed elsewhere since we read it (version / ETag mismatch)."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or answered 5xx; the caller may retry."""


class MessagingUnavailable(DomainError):
    """The SMS provider could not take the message right now; nothing was sent."""
