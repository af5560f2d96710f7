"""A local stand-in for Twilio's Programmable Messaging API.

The app sends SMS with the real `twilio` library; locally its base URL points here (see
`reschedule_dispatch.adapters.twilio_sms.twilio_client`). The sandbox answers the Messages
resource (API 2010-04-01) the way Twilio documents it, so the library's own parsing and
error handling run unchanged, then plays the delivery lifecycle back to the app as signed
status callbacks. Nothing is ever sent to a phone: the messages are kept in memory and shown
on `/dev/phone` (a browser "phone") and `/dev/sms` (JSON for tests and scripts).

Test numbers (in the spirit of Twilio's magic test numbers):

* To `+15005550001` is rejected as invalid (400, code 21211), like Twilio's test credentials.
* To any number ending in `3003` is accepted but ends `undelivered` with error 30003
  ("Unreachable destination handset"); pass `unreachable=` to choose other numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import math
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import requests
from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.sandbox_base import Sandbox, dev_page, json_response, latest_first, linkify
from reschedule_dispatch.domain.messages import count_segments

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
INVALID_TO_NUMBERS = frozenset({"+15005550001"})
"""Twilio's magic "invalid phone number" test number: rejected with 21211."""
SERVICE_SENDER = "+15005550006"
"""The sender a Messaging Service "picks" (Twilio's magic valid From number)."""
UNREACHABLE_ERROR = (30003, "Unreachable destination handset")
MAX_BODY_CHARS = 1600
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_E164 = re.compile(r"\+[1-9]\d{1,14}")
_SHORT_CODE = re.compile(r"\d{5,6}")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def normalize_number(raw: str) -> str:
    """The E.164 form of a phone number typed into a query string.

    An unencoded `+` arrives as a space (`?to=+1555...` → `" 1555..."`), and people paste
    formatted numbers, so only the digits count; a value without digits is kept as is.
    """
    digits = re.sub(r"\D", "", raw)
    return f"+{digits}" if digits else raw.strip()


def default_unreachable(number: str) -> bool:
    """Numbers ending in 3003 play an unreachable handset (undelivered, error 30003)."""
    return number.endswith("3003")


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio documents it for form-encoded webhooks.

    base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 ...)) with the POST
    parameters sorted by name. Written out here rather than borrowed from the twilio
    library, so the tests' check with `RequestValidator` is an independent one.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class StatusCallback:
    """One signed status callback, as Twilio would POST it."""

    url: str
    params: dict[str, str]
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-Twilio-Signature": self.signature,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
        }


CallbackPoster = Callable[[StatusCallback], None]


def post_with_requests(callback: StatusCallback) -> None:
    """The default poster: a real form POST, so the app's webhook sees real HTTP.

    Called from the message's own background thread; errors propagate to the sandbox,
    which logs them (Twilio does not retry status callbacks either).
    """
    response = requests.post(
        callback.url, data=callback.params, headers=callback.headers, timeout=5
    )
    if response.status_code >= 400:
        logger.warning(
            "Status callback %s for %s answered HTTP %s",
            callback.params.get("MessageStatus"),
            callback.params.get("MessageSid"),
            response.status_code,
        )


class TwilioError(Exception):
    """An error answered in Twilio's REST error shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if self.status == 401 else {}
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return json_response(body, self.status, headers)


@dataclass
class _Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    messaging_service_sid: str | None
    status_callback: str | None
    statuses: tuple[str, ...]
    """The whole lifecycle, decided up front: statuses[0] is the status at creation."""
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    step: int = 0
    error: tuple[int, str] | None = None

    @property
    def status(self) -> str:
        return self.statuses[self.step]

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def resource(self) -> dict[str, Any]:
        """The Message resource JSON, field for field as Twilio returns it."""
        failed = self.error is not None and self.status in {"undelivered", "failed"}
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": format_datetime(self.date_created),
            "date_sent": format_datetime(self.date_sent) if self.date_sent else None,
            "date_updated": format_datetime(self.date_updated),
            "direction": "outbound-api",
            "error_code": self.error[0] if failed and self.error else None,
            "error_message": self.error[1] if failed and self.error else None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(count_segments(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {
                "media": self.uri.removesuffix(".json") + "/Media.json",
                "feedback": self.uri.removesuffix(".json") + "/Feedback.json",
            },
            "to": self.to,
            "uri": self.uri,
        }


class TwilioSandbox(Sandbox):
    """WSGI app imitating Twilio's Messages API plus dev pages (mounting: see `sandbox_base`).

    It takes the requests for which `handles(path)` is true: paths under `prefix` (point the
    twilio client at `http://host:port{prefix}`), `{dev_prefix}/phone` (and the phone's
    `/phone/reply`) and `{dev_prefix}/sms`.

    Args:
        account_sid, auth_token: the credentials the app's twilio client must present; the
            token also signs the status callbacks.
        prefix: mount point of the API, e.g. "/twilio".
        dev_prefix: mount point of the dev pages.
        poster: delivers each status callback; defaults to a `requests` POST run on the
            message's background thread. Inject one to capture callbacks in tests.
        step_delay: seconds between lifecycle steps (and before the first callback, so the
            app has stored the sid it got back before hearing about it).
        unreachable: numbers that end `undelivered` with 30003: a predicate or a collection.
    """

    DEV_PAGES = ("/phone", "/sms", "/phone/reply")
    ERROR = TwilioError

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        prefix: str = "/twilio",
        dev_prefix: str = "/dev",
        poster: CallbackPoster = post_with_requests,
        step_delay: float = 0.2,
        unreachable: Callable[[str], bool] | Iterable[str] = default_unreachable,
        inbound_url: str | None = None,
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        self.account_sid = account_sid
        # Where texts to the business number are posted (Twilio's "a message comes in" URL);
        # by default the app behind the same host.
        self.inbound_url = inbound_url
        self.auth_token = auth_token
        super().__init__(prefix, dev_prefix, clock)
        self.poster = poster
        self.step_delay = step_delay
        if callable(unreachable):
            self.unreachable: Callable[[str], bool] = unreachable
        else:
            numbers = frozenset([unreachable] if isinstance(unreachable, str) else unreachable)
            self.unreachable = numbers.__contains__
        self._lock = threading.Lock()
        self._messages: dict[str, _Message] = {}
        self._closed = threading.Event()
        api = re.escape(self.prefix) + f"/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages"
        self._list_route = re.compile(api + r"\.json")
        self._item_route = re.compile(api + r"/(?P<sid>[^/]+)\.json")

    # -- Python API -------------------------------------------------------------------------

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Message resources, oldest first, optionally only those sent to `to`."""
        wanted = normalize_number(to) if to else None
        with self._lock:
            found = [m.resource() for m in self._messages.values()]
        return [m for m in found if wanted is None or m["to"] == wanted]

    def reset(self) -> None:
        """Forget every message; lifecycles still running stop at their next step."""
        with self._lock:
            self._messages.clear()

    def close(self) -> None:
        """Stop all lifecycles (no further callbacks); the store stays readable."""
        self._closed.set()

    # -- WSGI -------------------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == self.dev_prefix + "/sms" and request.method == "GET":
            return json_response(self.messages(request.args.get("to")), 200)
        if path == self.dev_prefix + "/phone" and request.method == "GET":
            return self._phone_page(request.args.get("to"))
        if path == self.dev_prefix + "/phone/reply" and request.method == "POST":
            return self._phone_reply(request)
        if match := self._list_route.fullmatch(path):
            self._authenticate(request, match["account"])
            if request.method == "POST":
                return json_response(self._create(request).resource(), 201)
            if request.method == "GET":
                return self._list(request, path)
            raise _method_not_allowed(request)
        if match := self._item_route.fullmatch(path):
            self._authenticate(request, match["account"])
            if request.method != "GET":
                raise _method_not_allowed(request)
            with self._lock:
                message = self._messages.get(match["sid"])
                if message is not None:
                    return json_response(message.resource(), 200)
        uri = path.removeprefix(self.prefix)
        raise TwilioError(404, 20404, f"The requested resource {uri} was not found")

    def _authenticate(self, request: Request, path_account: str) -> None:
        auth = request.authorization
        valid = (
            auth is not None
            and auth.type == "basic"
            and hmac.compare_digest(auth.username or "", self.account_sid)
            and hmac.compare_digest(auth.password or "", self.auth_token)
            and path_account == self.account_sid
        )
        if not valid:
            raise TwilioError(401, 20003, "Authenticate")

    # -- Messages ---------------------------------------------------------------------------

    def _create(self, request: Request) -> _Message:
        form = request.form
        to = form.get("To", "").strip()
        from_ = form.get("From", "").strip() or None
        service = form.get("MessagingServiceSid", "").strip() or None
        body = form.get("Body", "")
        if not to:
            raise TwilioError(400, 21604, "A 'To' phone number is required.")
        if not _E164.fullmatch(to) or to in INVALID_TO_NUMBERS:
            raise TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_ is None and service is None:
            raise TwilioError(400, 21603, "A 'From' phone number is required.")
        if from_ is not None and not any(
            pattern.fullmatch(from_) for pattern in (_E164, _SHORT_CODE, _ALPHANUMERIC_SENDER)
        ):
            raise TwilioError(
                400,
                21212,
                f"The 'From' number {from_} is not a valid phone number, shortcode, "
                "or alphanumeric sender ID.",
            )
        if not body:
            raise TwilioError(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            raise TwilioError(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )

        unreachable = self.unreachable(to)
        statuses: tuple[str, ...] = ("accepted",) if service else ()
        statuses += ("queued", "sent", "undelivered" if unreachable else "delivered")
        now = self.clock()
        message = _Message(
            sid="SM" + secrets.token_hex(16),
            account_sid=self.account_sid,
            to=to,
            from_=None if service and not from_ else from_,
            body=body,
            messaging_service_sid=service,
            status_callback=form.get("StatusCallback", "").strip() or None,
            statuses=statuses,
            date_created=now,
            date_updated=now,
            error=UNREACHABLE_ERROR if unreachable else None,
        )
        created = replace(message)  # the lifecycle thread mutates `message` from now on
        with self._lock:
            self._messages[message.sid] = message
        logger.info("SMS %s to %s: %s", message.sid, to, body)
        threading.Thread(
            target=self._play_lifecycle, args=(message.sid,), name=f"sms-{message.sid}", daemon=True
        ).start()
        return created

    def _list(self, request: Request, path: str) -> Response:
        args = request.args
        to, from_ = args.get("To"), args.get("From")
        try:
            page = max(int(args.get("Page", "0")), 0)
            size = min(max(int(args.get("PageSize", str(DEFAULT_PAGE_SIZE))), 1), MAX_PAGE_SIZE)
        except ValueError as error:
            raise TwilioError(400, 20001, "Invalid paging parameter") from error
        with self._lock:
            found = [
                m.resource()
                for m in reversed(self._messages.values())  # Twilio lists newest first
                if (to is None or m.to == to) and (from_ is None or m.from_ == from_)
            ]
        start = page * size
        records = found[start : start + size]
        base = path.removeprefix(self.prefix)
        filters = {k: v for k, v in (("To", to), ("From", from_)) if v is not None}

        def page_uri(number: int) -> str:
            return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

        last_page = max(math.ceil(len(found) / size) - 1, 0)
        body = {
            "messages": records,
            "page": page,
            "page_size": size,
            "start": start,
            "end": start + max(len(records) - 1, 0),
            "uri": page_uri(page),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if page < last_page else None,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
        }
        return json_response(body, 200)

    # -- Delivery lifecycle -----------------------------------------------------------------

    def _play_lifecycle(self, sid: str) -> None:
        """Walk one message through its statuses, posting a callback for each one."""
        step = 0
        while not self._closed.wait(self.step_delay):
            with self._lock:
                message = self._messages.get(sid)
                if message is None:  # reset() dropped it
                    return
                if step > 0:
                    message.step = step
                    message.date_updated = self.clock()
                    if message.status == "sent":
                        message.date_sent = message.date_updated
                    if message.status == "queued" and message.from_ is None:
                        message.from_ = SERVICE_SENDER
                snapshot = replace(message)
            self._send_callback(snapshot)
            step += 1
            if step == len(snapshot.statuses):
                return

    def _send_callback(self, message: _Message) -> None:
        if not message.status_callback:
            return
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": API_VERSION,
            "MessageSid": message.sid,
            "MessageStatus": message.status,
            "SmsSid": message.sid,
            "SmsStatus": message.status,
            "To": message.to,
        }
        if message.from_:
            params["From"] = message.from_
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.error and message.status in {"undelivered", "failed"}:
            params["ErrorCode"] = str(message.error[0])
        url = message.status_callback
        callback = StatusCallback(url, params, twilio_signature(self.auth_token, url, params))
        try:
            self.poster(callback)
        except Exception as error:  # a broken webhook must never break the sandbox
            logger.warning(
                "Status callback %s for %s to %s failed: %s",
                message.status,
                message.sid,
                url,
                error,
            )

    # -- Dev phone --------------------------------------------------------------------------

    def reply(self, from_: str, to: str, body: str, inbound_url: str) -> dict[str, Any]:
        """The phone `from_` texts `body` to the number `to`, as Twilio would deliver it.

        Twilio posts an incoming message, signed, to the number's "a message comes in" URL
        and sends back whatever <Message> the TwiML answer holds; so does this.
        """
        sid = "SM" + secrets.token_hex(16)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": normalize_number(from_),
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(count_segments(body)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": normalize_number(to),
        }
        signature = twilio_signature(self.auth_token, inbound_url, params)
        answer = requests.post(
            inbound_url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15
        )
        replies: list[str] = []
        if answer.ok and answer.text.strip():
            try:
                root = ElementTree.fromstring(answer.text)  # noqa: S314 - the app's own TwiML
            except ElementTree.ParseError:
                logger.warning("inbound webhook %s answered something that is not TwiML", sid)
            else:
                replies = ["".join(m.itertext()).strip() for m in root.iter("Message")]
        for text in replies:
            self._deliver_reply(to=params["From"], from_=params["To"], body=text)
        return {"sid": sid, "status": answer.status_code, "replies": replies}

    def _deliver_reply(self, to: str, from_: str, body: str) -> None:
        now = self.clock()
        message = _Message(
            sid="SM" + secrets.token_hex(16),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            body=body,
            messaging_service_sid=None,
            status_callback=None,
            statuses=("delivered",),
            date_created=now,
            date_updated=now,
            date_sent=now,
        )
        with self._lock:
            self._messages[message.sid] = message

    def _phone_reply(self, request: Request) -> Response:
        data = request.get_json(silent=True) if request.is_json else request.form
        if not isinstance(data, Mapping):  # a JSON list, number or string: not a reply
            data = {}
        fields = {k: str(data.get(k, "")).strip() for k in ("from", "to", "body")}
        if not all(fields.values()):
            return json_response({"message": "from, to and body are required"}, 400)
        inbound_url = self.inbound_url or request.host_url.rstrip("/") + "/webhooks/twilio/inbound"
        result = self.reply(fields["from"], fields["to"], fields["body"], inbound_url)
        if request.is_json:
            return json_response(result, 200)
        # The phone page's form: back to that phone's inbox.
        location = f"{self.dev_prefix}/phone?to={quote(fields['from'])}"
        return Response(status=303, headers={"Location": location})

    def _phone_page(self, to: str | None) -> Response:
        wanted = normalize_number(to) if to else None
        phones = latest_first(self.messages(wanted), lambda message: message["to"])
        return dev_page(
            title="Sandbox phones",
            about="Texts sent through the local Twilio sandbox.",
            refresh_seconds=5,
            style=_STYLE,
            cards=(_phone_card(number, inbox, self.dev_prefix) for number, inbox in phones),
            empty=f"No messages yet for {wanted}." if wanted else "No messages yet.",
            all_link=(f"{self.dev_prefix}/phone", "All phones") if wanted else None,
            script=_SCROLL_TO_LATEST,
            simulated_now=self.simulated_now(),
        )


def _method_not_allowed(request: Request) -> TwilioError:
    return TwilioError(405, 20004, f"Method {request.method} not allowed")


def _parse_date(value: str) -> datetime:
    return datetime.strptime(value, "%a, %d %b %Y %H:%M:%S %z")


_STATUS_LABELS = {
    "accepted": "Accepted",
    "queued": "Queued",
    "sent": "Sent",
    "delivered": "Delivered",
    "undelivered": "Not delivered",
    "failed": "Failed",
}


def _phone_card(number: str, inbox: list[dict[str, Any]], dev_prefix: str) -> str:
    bubbles = []
    for message in inbox:
        sender = message["from"] or message["messaging_service_sid"] or "unknown"
        sent_at = _parse_date(message["date_created"])
        status = message["status"]
        label = _STATUS_LABELS.get(status, status)
        if message["error_code"]:
            label += f" ({message['error_code']})"
        bubbles.append(
            '<div class="msg">'
            f'<div class="meta">{html.escape(sender)}</div>'
            f'<div class="bubble">{linkify(message["body"])}</div>'
            f'<div class="meta"><time datetime="{sent_at.isoformat()}">'
            f"{sent_at:%H:%M:%S} UTC</time> · "
            f'<span class="status {html.escape(status)}">{html.escape(label)}</span></div>'
            "</div>"
        )
    return (
        f'<section class="phone" data-number="{html.escape(number)}">'
        '<div class="notch"></div>'
        f'<header><div class="avatar">☎</div><h2>{html.escape(number)}</h2>'
        f'<span class="count">{len(inbox)} message{"s" if len(inbox) != 1 else ""}</span>'
        "</header>"
        f'<div class="thread">{"".join(bubbles)}</div>'
        f"{_reply_form(number, inbox, dev_prefix)}"
        "</section>"
    )


def _reply_form(number: str, inbox: list[dict[str, Any]], dev_prefix: str) -> str:
    """Text back the last sender, the way the customer would (STOP, HELP, or a reply)."""
    senders = [m["from"] for m in inbox if m["from"]]
    if not senders:
        return ""
    return (
        f'<form class="reply" method="post" action="{html.escape(dev_prefix)}/phone/reply">'
        f'<input type="hidden" name="from" value="{html.escape(number)}">'
        f'<input type="hidden" name="to" value="{html.escape(senders[-1])}">'
        f"<label>Reply to {html.escape(senders[-1])} "
        '<input name="body" required placeholder="Text (try STOP, HELP)"></label>'
        "<button>Send</button></form>"
    )


_STYLE = """\
  body { margin: 0; padding: 24px 12px; background: #e9ecf1; color: #111;
    font: 15px/1.4 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; }
  .sub { text-align: center; color: #666; font-size: 13px; margin: 0 0 20px; }
  main { display: flex; flex-wrap: wrap; gap: 24px; justify-content: center; }
  .phone { width: 360px; max-width: 100%; height: 640px; display: flex; flex-direction: column;
    background: #fff; border: 10px solid #1c1c1e; border-radius: 40px; overflow: hidden;
    box-shadow: 0 10px 30px rgba(0,0,0,.18); }
  .notch { width: 120px; height: 20px; margin: 0 auto; background: #1c1c1e;
    border-radius: 0 0 14px 14px; flex: none; }
  header { padding: 8px 12px 10px; text-align: center; border-bottom: 1px solid #e5e5ea;
    background: #f7f7f9; flex: none; }
  .avatar { width: 36px; height: 36px; margin: 0 auto 2px; border-radius: 50%;
    background: #c7c7cc; color: #fff; line-height: 36px; font-size: 18px; }
  header h2 { font-size: 15px; margin: 0; font-weight: 600; }
  .count { font-size: 11px; color: #8e8e93; }
  .thread { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column;
    gap: 10px; }
  .msg { max-width: 82%; }
  .bubble { background: #e9e9eb; border-radius: 18px 18px 18px 4px; padding: 8px 12px;
    white-space: pre-wrap; overflow-wrap: anywhere; }
  .bubble a { color: #0a64d8; }
  .meta { font-size: 11px; color: #8e8e93; margin: 2px 8px; }
  .status.delivered { color: #1f8f3a; }
  .status.undelivered, .status.failed { color: #d70015; font-weight: 600; }
  .empty { text-align: center; color: #666; }
"""

_SCROLL_TO_LATEST = """
  document.querySelectorAll(".thread").forEach(function (t) { t.scrollTop = t.scrollHeight; });
"""
