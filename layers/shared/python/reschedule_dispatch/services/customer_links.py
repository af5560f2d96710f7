"""The customer's side: open the link, see the openings, confirm one.

A link is private to its customer: the first browser that opens it is bound to it (a
secret it keeps in a cookie; the session keeps the secret's hash), and only a bound
browser sees the appointment or confirms. Another browser (a forwarded link) sees only
the business's name until it gives the last four digits of the phone the link was sent
to, tried a few times at most and throttled per client like unknown links. A link
preview (a bot that fetches but never submits) sees nothing personal.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    Unprocessable,
)
from reschedule_dispatch.domain.links import token_hash
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    ConfirmWorkflow,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment, Technician
from reschedule_dispatch.domain.session import (
    MAX_LINK_BROWSERS,
    MAX_UNLOCK_TRIES,
    OPEN_STATUSES,
    Actor,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.services.closed_sessions import NO_LONGER_SHOWN, LinkClosed
from reschedule_dispatch.services.link_guessing import LinkGuessing, find_by_token
from reschedule_dispatch.services.openings import OpeningsForAppointment
from reschedule_dispatch.texts import Text, english, text

RETRY_NOTICE = english(Text.NOTICE_RETRY)

# A finished link shows its appointment until shown_until, then only says it is over.
FINISHED = frozenset({SessionStatus.COMPLETED, SessionStatus.FAILED})

GONE_REASONS = {
    SessionStatus.EXPIRED: english(Text.LINK_EXPIRED),
    SessionStatus.CANCELED: english(Text.LINK_CANCELED),
}


class NotThisBrowser(DomainError):
    """This browser may not see the link's appointment (yet): the page shows only the
    business's name, and how to go on. `first`: no browser has opened the link, so this one
    may (a person submits; a preview bot does not). Else another browser holds it: the
    phone's last four digits let this one in, unless `locked` (too many wrong tries, or as
    many browsers as a link may have)."""

    def __init__(
        self,
        message: str,
        business: Business,
        language: str,
        *,
        first: bool = False,
        locked: bool = False,
    ) -> None:
        super().__init__(message)
        self.business = business
        self.language = language
        self.first = first
        self.locked = locked


class WrongDigits(Unprocessable):
    """The last four digits given do not match the phone the link was sent to."""

    def __init__(self, message: str, business: Business, language: str) -> None:
        super().__init__(message)
        self.business = business
        self.language = language


OPEN_IT = english(Text.BROWSER_OPEN_IT)
ANOTHER_BROWSER = english(Text.BROWSER_ANOTHER)
LOCKED = english(Text.BROWSER_LOCKED)


@dataclass(frozen=True)
class CustomerPage:
    business: Business
    session: RescheduleSession
    appointment: Appointment
    technicians: dict[str, Technician]
    openings: list[Opening]
    chosen: Opening | None = None  # the opening the customer tapped, if still possible


class CustomerLinks:
    """Resolves a token to its session and builds what the customer sees.

    `client` (each method): the caller's source address, for `guessing`; None only where no
    customer is calling. `private_to_browser`: each link shows its appointment only to the
    browsers bound to it (`browser`, each method: the secret the browser's cookie holds).
    """

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        workflow: ConfirmWorkflow,
        clock: Clock,
        openings: OpeningsForAppointment | None = None,
        guessing: LinkGuessing | None = None,
        private_to_browser: bool = False,
    ) -> None:
        self._sessions = sessions
        self._provider = provider
        self._businesses = businesses
        self._workflow = workflow
        self._clock = clock
        self._find_openings = openings or OpeningsForAppointment(provider=provider, clock=clock)
        self._guessing = guessing
        self._private = private_to_browser

    def page(
        self,
        token: str,
        slot: str | None = None,
        *,
        client: str | None = None,
        browser: str | None = None,
    ) -> CustomerPage:
        """What GET /r/{token} shows (with `slot`, its confirm step). Never changes state:
        link-preview bots fetch links too. `browser`: the secret the browser's cookie holds
        (NotThisBrowser unless the link is bound to it)."""
        session, business = self._usable_session(token, client, browser)
        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        if session.status not in OPEN_STATUSES:
            technician = self._provider.get_technician(
                session.business_id, appointment.technician_id
            )
            return CustomerPage(business, session, appointment, {technician.id: technician}, [])
        found = self._find_openings(business, appointment, slot=slot)
        # Ranked best first to choose which to show; shown in time order, grouped by day.
        openings: list[Opening] = sorted(found.result.openings, key=lambda o: o.start)
        return CustomerPage(
            business, session, appointment, found.technicians, openings, found.chosen
        )

    def open(self, token: str, *, client: str | None = None, browser: str | None = None) -> str:
        """A person opened the link (the page's form, which previews never submit): the
        first browser is bound to it. Answers the browser's secret (its own if bound
        already); NotThisBrowser if another browser has the link."""
        session, business = self._usable_session(token, client, browser, bound=False)
        if browser is not None and session.opened_in(token_hash(browser)):
            return browser
        if session.browsers:
            raise self._elsewhere(session, business)
        secret = secrets.token_urlsafe(32)
        event = TimelineEvent(type="opened", at=self._clock.now(), actor=Actor.CUSTOMER)
        if not self._sessions.add_browser(session.id, token_hash(secret), event, first=True):
            raise self._elsewhere(session, business)  # another browser, a moment before
        return secret

    def unlock(
        self, token: str, digits: str, *, client: str | None = None, browser: str | None = None
    ) -> str:
        """Another browser, let in by the last four digits of the customer's phone. Answers
        its secret. A wrong answer counts against the client (like an unknown link) and the
        link (at most MAX_UNLOCK_TRIES)."""
        session, business = self._usable_session(token, client, browser, bound=False)
        if browser is not None and session.opened_in(token_hash(browser)):
            return browser
        if not session.browsers:
            return self.open(token, client=client, browser=browser)
        refused = self._elsewhere(session, business)
        if refused.locked:  # all its tries spent, or as many browsers as a link may have
            raise refused
        if self._guessing is not None and client is not None:
            self._guessing.check(client)
        # The try is taken before the digits are compared: tries sent at once cannot pass it
        tried = self._sessions.take_unlock_try(session.id, MAX_UNLOCK_TRIES)
        if tried is None:
            raise NotThisBrowser(LOCKED, business, session.language, locked=True)
        now = self._clock.now()
        if not hmac.compare_digest(_last_four(digits), _last_four(session.customer_phone)):
            if self._guessing is not None and client is not None:
                self._guessing.unknown(client)
            left = MAX_UNLOCK_TRIES - tried
            if left <= 0:
                self._sessions.append_event(
                    session.id,
                    TimelineEvent(type="unlock_refused", at=now, actor=Actor.CUSTOMER),
                )
                raise NotThisBrowser(LOCKED, business, session.language, locked=True)
            # Said in the customer's language here: the page cannot recognise a filled count.
            wrong = Text.WRONG_DIGITS_LAST_TRY if left == 1 else Text.WRONG_DIGITS
            raise WrongDigits(
                text(wrong, session.language, tries_left=left), business, session.language
            )
        secret = secrets.token_urlsafe(32)
        event = TimelineEvent(type="opened_elsewhere", at=now, actor=Actor.CUSTOMER)
        if not self._sessions.add_browser(session.id, token_hash(secret), event, first=False):
            raise NotThisBrowser(LOCKED, business, session.language, locked=True)
        return secret

    def mark_viewed(
        self, token: str, *, client: str | None = None, browser: str | None = None
    ) -> bool:
        """The page was really shown to a person (a POST the page makes, which bots don't).

        True when this call recorded the link's first view (what the LinksViewed metric counts).
        """
        session, _ = self._usable_session(token, client, browser)
        if session.status is not SessionStatus.LINK_SENT:
            return False
        try:
            self._sessions.transition(
                session.id,
                SessionStatus.LINK_SENT,
                SessionStatus.VIEWED,
                TimelineEvent(type="viewed", at=self._clock.now(), actor=Actor.CUSTOMER),
            )
        except Conflict:  # already viewed, or confirmed in the same instant
            return False
        return True

    def confirm(
        self,
        token: str,
        slot: str,
        *,
        client: str | None = None,
        browser: str | None = None,
        retry_race: bool = True,
    ) -> RescheduleSession:
        session, business = self._usable_session(token, client, browser)
        if session.status in (SessionStatus.CONFIRMING, SessionStatus.COMPLETED):
            if session.new_opening is not None and session.new_opening.key == slot:
                if session.status is SessionStatus.CONFIRMING:
                    # A double submit: (re)starting the same execution is a no-op, and it
                    # recovers a confirm whose first start was lost.
                    self._workflow.start(session, session.new_opening)
                return session
            raise Conflict(english(Text.NEW_TIME_ALREADY_CHOSEN))
        if session.status not in OPEN_STATUSES:
            raise LinkClosed(english(Text.LINK_UNUSABLE), business, session.language)

        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        chosen = self._find_openings.feasible(business, appointment, slot)
        if chosen is None:
            raise Unprocessable(english(Text.NOTICE_TIME_GONE))
        try:
            confirming = self._confirming(session, chosen)
        except Conflict:
            if not retry_race:
                raise
            # Something else changed the session between our read and our write (a cancel,
            # expiry, or the same customer's other tap): answer from the state that won.
            return self.confirm(token, slot, client=client, browser=browser, retry_race=False)
        try:
            self._workflow.start(confirming, chosen)
        except Exception:
            # Nothing will move the appointment: give the link back to the customer.
            self._sessions.transition(
                session.id,
                SessionStatus.CONFIRMING,
                SessionStatus.VIEWED,
                TimelineEvent(type="confirm_not_started", at=self._clock.now(), actor=Actor.SYSTEM),
                new_opening=None,
                notice=RETRY_NOTICE,
            )
            raise
        return confirming

    def _confirming(self, session: RescheduleSession, chosen: Opening) -> RescheduleSession:
        return self._sessions.transition(
            session.id,
            OPEN_STATUSES,
            SessionStatus.CONFIRMING,
            TimelineEvent(
                type="confirming",
                at=self._clock.now(),
                actor=Actor.CUSTOMER,
                detail=chosen.start.isoformat(),
            ),
            new_opening=chosen,
            notice=None,
            confirm_attempt=session.confirm_attempt + 1,
        )

    def _usable_session(
        self, token: str, client: str | None, browser: str | None, *, bound: bool = True
    ) -> tuple[RescheduleSession, Business]:
        try:
            session = find_by_token(
                token, self._sessions.find_by_token_hash, self._guessing, client
            )
        except NotFound:
            raise NotFound("This link is not valid.") from None
        business = self._businesses.get(session.business_id)
        # Expiry is enforced here too, so a late schedule changes nothing for the customer.
        if session.status in OPEN_STATUSES and session.is_expired_at(self._clock.now()):
            raise LinkClosed(GONE_REASONS[SessionStatus.EXPIRED], business, session.language)
        if session.status in GONE_REASONS:
            # A canceled link may say why (e.g. the appointment itself was canceled).
            reason = session.failure_reason or GONE_REASONS[session.status]
            raise LinkClosed(reason, business, session.language)
        if session.status in FINISHED and self._clock.now() >= session.shown_until:
            raise LinkClosed(NO_LONGER_SHOWN, business, session.language)
        browser_hash = None if browser is None else token_hash(browser)
        if self._private and bound and not session.opened_in(browser_hash):
            if not session.browsers:
                raise NotThisBrowser(OPEN_IT, business, session.language, first=True)
            raise self._elsewhere(session, business)
        return session, business

    @staticmethod
    def _elsewhere(session: RescheduleSession, business: Business) -> NotThisBrowser:
        if session.unlock_tries >= MAX_UNLOCK_TRIES or len(session.browsers) >= MAX_LINK_BROWSERS:
            return NotThisBrowser(LOCKED, business, session.language, locked=True)
        return NotThisBrowser(ANOTHER_BROWSER, business, session.language)


def _last_four(phone: str) -> str:
    return re.sub(r"[^0-9]", "", phone)[-4:]  # ASCII digits only: compare_digest needs them
