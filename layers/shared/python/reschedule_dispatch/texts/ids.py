"""Every text's id, with the placeholders its templates may use: what each caller fills.

A template may leave out a placeholder its id declares (Spanish says no technician in the
link SMS), never use one it does not declare; tests/unit/texts checks both in every language.
"""

from __future__ import annotations

from enum import StrEnum


class Text(StrEnum):
    """A message id; `Text.X.placeholders` names what `text(Text.X, ...)` is given."""

    placeholders: tuple[str, ...]

    def __new__(cls, value: str, *placeholders: str) -> Text:
        member = str.__new__(cls, value)
        member._value_ = value
        member.placeholders = placeholders
        return member

    # -- Dates and times on the business's clock (domain/messages.py) ----------------------
    CLOCK = "clock", "hour", "hour12", "minute", "day_period"
    DAY = "day", "weekday_long", "month_long", "day"
    DATE_TIME = "date_time", "weekday", "month", "day", "clock"

    # -- The link. LINK_SMS is only the default of a business's own template (its settings'
    # `templates`), filled when the link is sent: these are the placeholders a dispatcher
    # may type, in the console's buttons and docs/api.md too.
    LINK_SMS = (
        "link_sms",
        "customer_first_name",
        "business_name",
        "appointment_time",
        "technician_name",
        "service",
    )
    LINK_EMAIL_SUBJECT = "link_email_subject", "business", "service"
    LINK_EMAIL_BUTTON = "link_email_button"

    # -- After a reschedule, and a dispatcher's cancel -------------------------------------
    CONFIRMATION_SMS = "confirmation_sms", "first_name", "business", "when", "phone"
    CANCEL_SMS = "cancel_sms", "first_name", "business", "when", "phone"

    # -- A dispatcher's move: the invitation -----------------------------------------------
    INVITATION_SMS = (
        "invitation_sms",
        "first_name",
        "business",
        "service",
        "when",
        "technician",
        "link",
        "phone",
    )
    INVITATION_EMAIL_SUBJECT = "invitation_email_subject", "business", "service", "when"
    INVITATION_EMAIL_BODY = (
        "invitation_email_body",
        "first_name",
        "business",
        "service",
        "when",
        "technician",
        "address",
        "phone",
    )
    INVITATION_EMAIL_ADDRESS = "invitation_email_address", "address"

    # -- Replies to a customer's keyword text (STOP is answered by Twilio itself) -----------
    REPLY_SUBSCRIBED = "reply_subscribed", "business"
    REPLY_HELP = "reply_help", "business", "phone"

    # -- The customer's page (web/pages.py) ------------------------------------------------
    PAGE_PICK_TITLE = "page_pick_title"
    PAGE_YOUR_APPOINTMENT = "page_your_appointment"
    PAGE_WITH = "page_with"
    PAGE_NO_OPENINGS = "page_no_openings"
    PAGE_OPEN_TIMES = "page_open_times"
    PAGE_CONFIRM_TITLE = "page_confirm_title"
    PAGE_CONFIRM = "page_confirm"
    PAGE_PICK_ANOTHER = "page_pick_another"
    PAGE_CONFIRMING_TITLE = "page_confirming_title"
    PAGE_CONFIRMING_BODY = "page_confirming_body"
    PAGE_DONE_TITLE = "page_done_title"
    PAGE_DONE_BODY = "page_done_body"
    PAGE_ADD_TO_CALENDAR = "page_add_to_calendar"
    PAGE_FAILED_TITLE = "page_failed_title"
    PAGE_STILL = "page_still"
    PAGE_CALL = "page_call", "business"
    PAGE_CONTACT = "page_contact"
    PAGE_OPEN_TITLE = "page_open_title"
    PAGE_OPEN = "page_open"
    PAGE_DIGITS_LABEL = "page_digits_label"
    PAGE_UNLOCK = "page_unlock"
    # The portal's error pages (functions/portal/handler.py)
    PAGE_CLOSED_TITLE = "page_closed_title"
    PAGE_NOT_FOUND_TITLE = "page_not_found_title"
    PAGE_NOT_FOUND = "page_not_found"
    PAGE_ALREADY_DONE_TITLE = "page_already_done_title"
    PAGE_ERROR_TITLE = "page_error_title"
    PAGE_ERROR = "page_error"
    PAGE_TOO_MANY_TRIES_TITLE = "page_too_many_tries_title"
    PAGE_TOO_MANY_TRIES = "page_too_many_tries"

    # -- What the services store on a session or raise, in English (see SAID_IN_ENGLISH) ---
    NOTICE_TAKEN = "notice_taken"
    NOTICE_RETRY = "notice_retry"
    NOTICE_TIME_GONE = "notice_time_gone"
    NOTICE_PICK_ONE = "notice_pick_one"
    LINK_EXPIRED = "link_expired"
    LINK_CANCELED = "link_canceled"
    LINK_UNUSABLE = "link_unusable"
    LINK_NO_LONGER_SHOWN = "link_no_longer_shown"
    NEW_TIME_ALREADY_CHOSEN = "new_time_already_chosen"
    BROWSER_OPEN_IT = "browser_open_it"
    BROWSER_ANOTHER = "browser_another"
    BROWSER_LOCKED = "browser_locked"
    REASON_CHANGED_ELSEWHERE = "reason_changed_elsewhere"
    REASON_APPOINTMENT_CANCELED = "reason_appointment_canceled"
    REASON_TIME_TAKEN = "reason_time_taken"
    REASON_PROVIDER_UNAVAILABLE = "reason_provider_unavailable"
    REASON_PROVIDER_REFUSED = "reason_provider_refused"
    REASON_DID_NOT_FINISH = "reason_did_not_finish"
    REASON_MOVE_UNDONE = "reason_move_undone"
    REASON_UNCONFIRMED = "reason_unconfirmed"
    REASON_NOT_MOVED = "reason_not_moved"
    REASON_MOVED_BY_DISPATCHER = "reason_moved_by_dispatcher"
    # Wrong digits carry a count, so they are said in the customer's language when raised;
    # two ids rather than plural rules: the only text with a number of things in it.
    WRONG_DIGITS_LAST_TRY = "wrong_digits_last_try"
    WRONG_DIGITS = "wrong_digits", "tries_left"

    # -- Staff: a session's outcome in Slack (adapters/slack_notifier.py), English for now:
    # a business has no staff language yet. Values arrive escaped for mrkdwn.
    SLACK_SUMMARY = "slack_summary", "business", "status", "customer", "when"
    SLACK_SUMMARY_REASON = "slack_summary_reason", "reason"
    SLACK_HEADLINE = "slack_headline", "status", "customer"
    SLACK_WHEN = "slack_when", "when"
    SLACK_REASON = "slack_reason", "reason"
    SLACK_OPEN_IN_CONSOLE = "slack_open_in_console"


# Sentences the services keep in English, on the session (failure_reason, notice, read by
# dispatchers too) or in an error; the page recognises them by their English words
# (texts.translate) and says them in the customer's language. None has placeholders.
SAID_IN_ENGLISH = frozenset(
    {
        Text.NOTICE_TAKEN,
        Text.NOTICE_RETRY,
        Text.NOTICE_TIME_GONE,
        Text.NOTICE_PICK_ONE,
        Text.LINK_EXPIRED,
        Text.LINK_CANCELED,
        Text.LINK_UNUSABLE,
        Text.LINK_NO_LONGER_SHOWN,
        Text.NEW_TIME_ALREADY_CHOSEN,
        Text.BROWSER_OPEN_IT,
        Text.BROWSER_ANOTHER,
        Text.BROWSER_LOCKED,
        Text.REASON_CHANGED_ELSEWHERE,
        Text.REASON_APPOINTMENT_CANCELED,
        Text.REASON_TIME_TAKEN,
        Text.REASON_PROVIDER_UNAVAILABLE,
        Text.REASON_PROVIDER_REFUSED,
        Text.REASON_DID_NOT_FINISH,
        Text.REASON_MOVE_UNDONE,
        Text.REASON_UNCONFIRMED,
        Text.REASON_NOT_MOVED,
        Text.REASON_MOVED_BY_DISPATCHER,
    }
)
