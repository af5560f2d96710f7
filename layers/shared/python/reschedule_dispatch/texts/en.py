"""English: the fallback for every language and every missing text."""

from __future__ import annotations

from reschedule_dispatch.texts import CalendarWords
from reschedule_dispatch.texts.ids import Text

CALENDAR = CalendarWords(
    weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    weekdays_long=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    months_long=(
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    day_periods=("AM", "PM"),
)  # fmt: skip

TEXTS: dict[Text, str] = {
    Text.CLOCK: "{hour12}:{minute} {day_period}",
    Text.DAY: "{weekday_long}, {month_long} {day}",
    Text.DATE_TIME: "{weekday}, {month} {day} at {clock}",
    Text.LINK_SMS: "Hi {customer_first_name}, {business_name} here. Need a different time for "
    "your {service} on {appointment_time}? Pick a new time:",
    Text.LINK_EMAIL_SUBJECT: "{business}: pick a new time for your {service}",
    Text.LINK_EMAIL_BUTTON: "Pick a new time",
    Text.CONFIRMATION_SMS: "Hi {first_name}, your appointment with {business} is now {when}. "
    "Questions? Call {phone}.",
    Text.CANCEL_SMS: "Hi {first_name}, {business} here. The link to pick a new time no longer "
    "works; your appointment stays {when}. Questions? Call {phone}.",
    Text.INVITATION_SMS: "Hi {first_name}, {business} here. Your {service} is now {when} with "
    "{technician}. Add it to your calendar: {link} Questions? Call {phone}.",
    Text.INVITATION_EMAIL_SUBJECT: "{business}: your {service} is now {when}",
    Text.INVITATION_EMAIL_BODY: "Hi {first_name},\n\nYour {service} with {business} is now "
    "{when}, with {technician}.{address}\n\nThe calendar invitation is attached.\n\n"
    "Questions? Call {phone}.",
    Text.INVITATION_EMAIL_ADDRESS: "\nAddress: {address}",
    Text.REPLY_SUBSCRIBED: "{business}: you're subscribed again. Reply STOP to opt out.",
    Text.REPLY_HELP: "{business}: for help with your appointment call {phone}. "
    "Reply STOP to opt out.",
    Text.PAGE_PICK_TITLE: "Pick a new time",
    Text.PAGE_YOUR_APPOINTMENT: "Your appointment",
    Text.PAGE_WITH: "with",
    Text.PAGE_NO_OPENINGS: "No other times are open right now.",
    Text.PAGE_OPEN_TIMES: "Open times",
    Text.PAGE_CONFIRM_TITLE: "Confirm your new time",
    Text.PAGE_CONFIRM: "Confirm",
    Text.PAGE_PICK_ANOTHER: "Pick another time",
    Text.PAGE_CONFIRMING_TITLE: "Confirming your new time…",
    Text.PAGE_CONFIRMING_BODY: "This takes a few seconds. This page refreshes by itself.",
    Text.PAGE_DONE_TITLE: "You're all set",
    Text.PAGE_DONE_BODY: "Your appointment is now:",
    Text.PAGE_ADD_TO_CALENDAR: "Add to calendar",
    Text.PAGE_FAILED_TITLE: "We couldn't move your appointment",
    Text.PAGE_STILL: "Your appointment is still",
    Text.PAGE_CALL: "Call {business} at",
    Text.PAGE_CONTACT: "Please contact the business that sent you this link.",
    Text.PAGE_OPEN_TITLE: "Your appointment",
    Text.PAGE_OPEN: "Show my appointment",
    Text.PAGE_DIGITS_LABEL: "Last four digits of the phone number",
    Text.PAGE_UNLOCK: "Show the appointment",
    Text.PAGE_CLOSED_TITLE: "This link can't be used",
    Text.PAGE_NOT_FOUND_TITLE: "Link not found",
    Text.PAGE_NOT_FOUND: "This link is not valid. Open the whole link from the text message "
    "you received.",
    Text.PAGE_ALREADY_DONE_TITLE: "Already done",
    Text.PAGE_ERROR_TITLE: "Something went wrong",
    Text.PAGE_ERROR: "We couldn't load this page. Please try again in a minute.",
    Text.PAGE_TOO_MANY_TRIES_TITLE: "Too many tries",
    Text.PAGE_TOO_MANY_TRIES: "Too many links that don't exist were opened from here. Wait a "
    "few minutes, then open the whole link from the text message you received.",
    Text.NOTICE_TAKEN: "That time was just taken. Please pick another one.",
    Text.NOTICE_RETRY: "We couldn't confirm that time just now. Please try again.",
    Text.NOTICE_TIME_GONE: "That time is no longer available. Please pick another one.",
    Text.NOTICE_PICK_ONE: "Please pick one of the times below.",
    Text.LINK_EXPIRED: "This link has expired.",
    Text.LINK_CANCELED: "This link was canceled.",
    Text.LINK_UNUSABLE: "This link can no longer be used.",
    Text.LINK_NO_LONGER_SHOWN: "This link is no longer available.",
    Text.NEW_TIME_ALREADY_CHOSEN: "A new time was already chosen with this link.",
    Text.BROWSER_OPEN_IT: "Open your appointment to see the times you can move it to.",
    Text.BROWSER_ANOTHER: "This link was opened on another device. To see the appointment "
    "here, enter the last four digits of the phone number the text was sent to.",
    Text.BROWSER_LOCKED: "This link can't be opened on another device. Open it on the phone "
    "it was sent to, or call us for a new one.",
    Text.REASON_CHANGED_ELSEWHERE: "The appointment changed elsewhere.",
    Text.REASON_APPOINTMENT_CANCELED: "The appointment was canceled.",
    Text.REASON_TIME_TAKEN: "The time is no longer available.",
    Text.REASON_PROVIDER_UNAVAILABLE: "The scheduling provider was unavailable.",
    Text.REASON_PROVIDER_REFUSED: "The scheduling provider refused our connection; reconnect "
    "it in Settings.",
    Text.REASON_DID_NOT_FINISH: "The reschedule did not finish, and nothing was moved.",
    Text.REASON_MOVE_UNDONE: "The appointment could not be moved, and was put back as it was.",
    Text.REASON_UNCONFIRMED: "The scheduling provider could not be reached to confirm the "
    "move: check the appointment there.",
    Text.REASON_NOT_MOVED: "The appointment could not be moved.",
    Text.REASON_MOVED_BY_DISPATCHER: "Moved by dispatcher.",
    Text.WRONG_DIGITS_LAST_TRY: "Those aren't the last four digits of the phone number the "
    "text was sent to. 1 try left.",
    Text.WRONG_DIGITS: "Those aren't the last four digits of the phone number the text was "
    "sent to. {tries_left} tries left.",
    Text.SLACK_SUMMARY: "{business}: {status}, reschedule for {customer} ({when}).",
    Text.SLACK_SUMMARY_REASON: "Reason: {reason}",
    Text.SLACK_HEADLINE: "*{status}*: reschedule for *{customer}*",
    Text.SLACK_WHEN: "*When*\n{when}",
    Text.SLACK_REASON: "*Reason*\n{reason}",
    Text.SLACK_OPEN_IN_CONSOLE: "Open in console",
}
