"""A local stand-in for SendGrid's Mail Send v3 API.

The app sends email with `reschedule_dispatch.adapters.sendgrid_email.SendGridEmailSender`;
locally its base URL points here. The sandbox answers `POST /v3/mail/send` the way SendGrid
documents it: a Bearer API key (401 otherwise), the payload validated field by field (400
with SendGrid's `errors[]`: message, field, help), 413 over the size limit, 403 for a sender
that is not verified (when `verified_senders` is given), and 202 with an `X-Message-Id`
header for an accepted email. Nothing is ever delivered: each recipient's copy is kept in
memory and shown on `/dev/inbox` (a browser mailbox) and `/dev/email` (JSON for tests).

`fail_next(status)` makes the next calls answer like SendGrid under load or in trouble
(429 with rate-limit headers, 5xx), for tests of the app's error handling.
"""

from __future__ import annotations

import base64
import hmac
import html
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.sandbox_base import Sandbox, dev_page, json_response, latest_first, linkify

logger = logging.getLogger(__name__)

MAIL_SEND_PATH = "/v3/mail/send"
MAX_PAYLOAD_BYTES = 30 * 1024 * 1024
"""SendGrid's limit on a whole Mail Send request."""
MAX_PERSONALIZATIONS = 1000
MAX_CATEGORIES = 10
MAX_CATEGORY_CHARS = 255
HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

# Deliberately loose, like SendGrid's own check: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")

ERROR_MESSAGES = {
    401: "The provided authorization grant is invalid, expired, or revoked",
    403: "access forbidden",
    413: "The JSON payload you have included in your request is too large. "
    "Please limit your request to 30MB total.",
    429: "too many requests",
    500: "internal error",
    502: "bad gateway",
    503: "service unavailable",
}
SENDER_IDENTITY_MESSAGE = (
    "The from address does not match a verified Sender Identity. Mail cannot be sent until "
    "this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/"
    "sender-identity/ to see the Sender Identity requirements"
)


class SendGridError(Exception):
    """An error answered in SendGrid's shape: `{"errors": [{"message", "field", "help"}]}`."""

    def __init__(
        self,
        status: int,
        errors: list[dict[str, str | None]],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status, self.errors, self.headers = status, errors, headers or {}

    @classmethod
    def single(cls, status: int, message: str, field: str | None = None) -> SendGridError:
        return cls(status, [{"message": message, "field": field, "help": None}])

    def response(self) -> Response:
        return json_response({"errors": self.errors}, self.status, self.headers)


def _invalid(message: str, field: str | None, anchor: str) -> dict[str, str | None]:
    return {"message": message, "field": field, "help": f"{HELP}#message.{anchor}"}


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: int | None


class SendGridSandbox(Sandbox):
    """WSGI app imitating SendGrid's Mail Send v3 API plus two dev pages (mounting: see
    `sandbox_base`).

    It takes the requests for which `handles(path)` is true: paths under `prefix` (point the
    sender at `http://host:port{prefix}`), `{dev_prefix}/email` and `{dev_prefix}/inbox`.

    Args:
        api_key: the API key the app must present as `Authorization: Bearer ...`.
        prefix: mount point of the API, e.g. "/sendgrid".
        dev_prefix: mount point of the dev pages.
        verified_senders: addresses or whole domains ("@acme.example") allowed in `from`;
            None accepts any sender, as a fully authenticated domain would.
        max_payload_bytes: request size above which the answer is 413.
    """

    DEV_PAGES = ("/email", "/inbox")
    ERROR = SendGridError

    def __init__(
        self,
        api_key: str,
        *,
        prefix: str = "/sendgrid",
        dev_prefix: str = "/dev",
        verified_senders: Iterable[str] | None = None,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        self.api_key = api_key
        super().__init__(prefix, dev_prefix, clock)
        self.verified_senders = (
            None if verified_senders is None else frozenset(s.lower() for s in verified_senders)
        )
        self.max_payload_bytes = max_payload_bytes
        self._lock = threading.Lock()
        self._emails: list[dict[str, Any]] = []
        self._failures: list[_Failure] = []

    # -- Python API -------------------------------------------------------------------------

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Emails as stored, oldest first, optionally only those sent to `to` (any case)."""
        wanted = to.strip().lower() if to else None
        with self._lock:
            found = [dict(email) for email in self._emails]
        return [e for e in found if wanted is None or e["to"].lower() == wanted]

    def reset(self) -> None:
        """Forget every email and every armed failure."""
        with self._lock:
            self._emails.clear()
            self._failures.clear()

    def fail_next(self, status: int, *, count: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `count` authenticated Mail Send calls with `status` in SendGrid's
        error shape; a 429 carries X-RateLimit-* headers (reset in `retry_after` seconds)
        and, when `retry_after` is given, Retry-After."""
        with self._lock:
            self._failures.extend([_Failure(status, retry_after)] * count)

    # -- WSGI -------------------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == self.dev_prefix + "/email" and request.method == "GET":
            return json_response(self.messages(request.args.get("to")), 200)
        if path == self.dev_prefix + "/inbox" and request.method == "GET":
            return self._inbox_page(request.args.get("to"))
        if path == self.prefix + MAIL_SEND_PATH:
            if request.method != "POST":
                raise SendGridError.single(405, "method not allowed")
            self._authenticate(request)
            self._maybe_fail()
            return self._send(request)
        raise SendGridError.single(404, "not found")

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            raise SendGridError.single(401, "authorization required")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip(), self.api_key):
            raise SendGridError.single(401, ERROR_MESSAGES[401])

    def _maybe_fail(self) -> None:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is None:
            return
        headers: dict[str, str] = {}
        if failure.status == 429:
            # wall clock: a rate limit is waited out in real seconds, whatever /dev/clock says
            reset = int(time.time()) + (failure.retry_after or 60)
            headers = {
                "X-RateLimit-Limit": "600",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
            }
        if failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        message = ERROR_MESSAGES.get(failure.status, "error")
        raise SendGridError(
            failure.status, [{"message": message, "field": None, "help": None}], headers
        )

    # -- Mail Send --------------------------------------------------------------------------

    def _send(self, request: Request) -> Response:
        raw = request.get_data(cache=False)
        if len(raw) > self.max_payload_bytes:
            raise SendGridError.single(413, ERROR_MESSAGES[413])
        try:
            payload = json.loads(raw)
        except ValueError as error:
            raise SendGridError.single(400, "Bad Request") from error
        if not isinstance(payload, dict):
            raise SendGridError.single(400, "Bad Request")
        errors = _validate(payload)
        if errors:
            raise SendGridError(400, errors)
        sender = payload["from"]["email"]
        if self.verified_senders is not None and not _verified(sender, self.verified_senders):
            raise SendGridError.single(403, SENDER_IDENTITY_MESSAGE, "from")

        message_id = secrets.token_urlsafe(16)[:22]  # the shape of SendGrid's ids
        now = self.clock().isoformat(timespec="milliseconds")
        content = {part["type"]: part["value"] for part in payload["content"]}
        stored = []
        for personalization in payload["personalizations"]:
            # A personalization's custom_args and subject override the message's.
            custom_args = {
                **payload.get("custom_args", {}),
                **personalization.get("custom_args", {}),
            }
            for recipient in personalization["to"]:
                stored.append(
                    {
                        "to": recipient["email"],
                        "to_name": recipient.get("name"),
                        "from": sender,
                        "from_name": payload["from"].get("name"),
                        "subject": personalization.get("subject", payload.get("subject")),
                        "text": content.get("text/plain"),
                        "html": content.get("text/html"),
                        "message_id": message_id,
                        "custom_args": custom_args,
                        "categories": list(payload.get("categories", [])),
                        "tracking_settings": payload.get("tracking_settings", {}),
                        "attachments": [
                            {
                                "filename": a["filename"],
                                "type": a.get("type"),
                                "content": base64.b64decode(a["content"]).decode(
                                    "utf-8", "replace"
                                ),
                            }
                            for a in payload.get("attachments", [])
                        ],
                        "sent_at": now,
                    }
                )
        with self._lock:
            self._emails.extend(stored)
        for email in stored:  # the subject only: bodies hold customers' links
            logger.info("Email %s to %s: %s", message_id, email["to"], email["subject"])
        return Response(status=202, headers={"X-Message-Id": message_id})

    # -- Dev inbox --------------------------------------------------------------------------

    def _inbox_page(self, to: str | None) -> Response:
        wanted = to.strip().lower() if to else None
        mailboxes = latest_first(self.messages(wanted), lambda email: email["to"].lower())
        return dev_page(
            title="Sandbox inboxes",
            about="Email sent through the local SendGrid sandbox.",
            refresh_seconds=10,
            style=_STYLE,
            cards=(_mailbox(address, emails) for address, emails in mailboxes),
            empty=f"No emails yet for {wanted}." if wanted else "No emails yet.",
            all_link=(f"{self.dev_prefix}/inbox", "All mailboxes") if wanted else None,
            headers={
                # Emails' HTML is shown in srcdoc iframes, which inherit this policy: no
                # scripts and no remote loads (tracking pixels) even if the sandbox slipped.
                "Content-Security-Policy": (
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                    "frame-src 'self' about:"
                ),
                "Referrer-Policy": "no-referrer",
            },
            simulated_now=self.simulated_now(),
        )


def _validate(payload: dict[str, Any]) -> list[dict[str, str | None]]:
    """SendGrid's validation errors for a Mail Send payload, all of them, in field order."""
    errors: list[dict[str, str | None]] = []
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(
            _invalid(
                "The personalizations field is required and must have at least one "
                "personalization.",
                "personalizations",
                "personalizations",
            )
        )
        personalizations = []
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(
            _invalid(
                "The personalization block is limited to 1000 personalizations per API "
                f"request. You have provided {len(personalizations)} personalizations.",
                "personalizations",
                "personalizations",
            )
        )
    for index, personalization in enumerate(personalizations):
        field = f"personalizations.{index}"
        recipients = personalization.get("to") if isinstance(personalization, dict) else None
        if not isinstance(recipients, list) or not recipients:
            errors.append(
                _invalid(
                    "The to array is required for all personalization objects, and must have "
                    "at least one email object with a valid email address.",
                    f"{field}.to",
                    "personalizations.to",
                )
            )
            continue
        for position, recipient in enumerate(recipients):
            address = recipient.get("email") if isinstance(recipient, dict) else None
            if not isinstance(address, str) or not _EMAIL.fullmatch(address):
                errors.append(
                    _invalid(
                        "Does not contain a valid address.",
                        f"{field}.to.{position}.email",
                        "personalizations.to",
                    )
                )
        errors += _custom_args_errors(personalization.get("custom_args"), f"{field}.custom_args")

    sender = payload.get("from")
    if not isinstance(sender, dict) or "email" not in sender:
        errors.append(
            _invalid(
                "The from object must be provided for every email send. It is an object that "
                "requires the email parameter, but may also contain a name parameter.",
                "from",
                "from",
            )
        )
    elif not isinstance(sender["email"], str) or not _EMAIL.fullmatch(sender["email"]):
        errors.append(
            _invalid("The from email does not contain a valid address.", "from.email", "from")
        )

    subject = payload.get("subject")
    every_personalization_has_one = bool(personalizations) and all(
        isinstance(p, dict) and isinstance(p.get("subject"), str) and p["subject"]
        for p in personalizations
    )
    if not (isinstance(subject, str) and subject) and not every_personalization_has_one:
        errors.append(
            _invalid(
                "The subject is required. You can get around this requirement if you use a "
                "template with a subject defined or if every personalization has a subject "
                "defined.",
                "subject",
                "subject",
            )
        )

    errors += _content_errors(payload.get("content"))
    errors += _custom_args_errors(payload.get("custom_args"), "custom_args")
    errors += _categories_errors(payload.get("categories"))
    errors += _attachments_errors(payload.get("attachments"))
    return errors


def _attachments_errors(attachments: object) -> list[dict[str, str | None]]:
    """SendGrid's rules for attachments: a list of {content (base64), filename, ...}."""
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return [_invalid("The attachments must be an array.", "attachments", "attachments")]
    errors: list[dict[str, str | None]] = []
    for index, attachment in enumerate(attachments):
        field = f"attachments.{index}"
        if not isinstance(attachment, dict) or not attachment.get("filename"):
            errors.append(
                _invalid("The attachment filename is required.", f"{field}.filename", "attachments")
            )
            continue
        try:
            base64.b64decode(str(attachment.get("content", "")), validate=True)
        except ValueError:
            errors.append(
                _invalid(
                    "The attachment content must be base64 encoded.",
                    f"{field}.content",
                    "attachments",
                )
            )
    return errors


def _content_errors(content: object) -> list[dict[str, str | None]]:
    if not isinstance(content, list) or not content:
        return [
            _invalid(
                "Unless a valid template_id is provided, the content parameter is required. "
                "There must be at least one defined content block. We typically suggest both "
                "text/plain and text/html blocks are included, but only one block is required.",
                "content",
                "content",
            )
        ]
    errors = []
    types = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        value = part.get("value") if isinstance(part, dict) else None
        if not isinstance(kind, str) or not kind:
            errors.append(
                _invalid(
                    "The content type must be a string at least one character in length.",
                    f"content.{index}.type",
                    "content.type",
                )
            )
        if not isinstance(value, str) or not value:
            errors.append(
                _invalid(
                    "The content value must be a string at least one character in length.",
                    f"content.{index}.value",
                    "content.value",
                )
            )
        types.append(kind)
    if "text/plain" in types and types[0] != "text/plain":
        errors.append(
            _invalid(
                "If present, text/plain content must be first, followed by text/html, "
                "followed by any other content.",
                "content",
                "content",
            )
        )
    if len(set(types)) != len(types):
        errors.append(
            _invalid("Each content type may only be provided once.", "content", "content")
        )
    return errors


def _custom_args_errors(custom_args: object, field: str) -> list[dict[str, str | None]]:
    if custom_args is None:
        return []
    if not isinstance(custom_args, dict) or not all(
        isinstance(value, str) for value in custom_args.values()
    ):
        return [
            _invalid("Invalid type. Expected: object with string values.", field, "custom_args")
        ]
    return []


def _categories_errors(categories: object) -> list[dict[str, str | None]]:
    if categories is None:
        return []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return [_invalid("Invalid type. Expected: array of strings.", "categories", "categories")]
    if len(categories) > MAX_CATEGORIES:
        return [
            _invalid(
                "Too many categories. Please limit categories to 10 or fewer.",
                "categories",
                "categories",
            )
        ]
    if any(len(category) > MAX_CATEGORY_CHARS for category in categories):
        return [
            _invalid("A category cannot have more than 255 characters.", "categories", "categories")
        ]
    return []


def _verified(sender: str, verified: frozenset[str]) -> bool:
    address = sender.lower()
    return address in verified or "@" + address.partition("@")[2] in verified


def _mailbox(address: str, emails: list[dict[str, Any]]) -> str:
    items = "".join(_email_card(email) for email in reversed(emails))  # newest first, like mail
    count = f"{len(emails)} email{'s' if len(emails) != 1 else ''}"
    return (
        f'<section class="mailbox" data-address="{html.escape(address)}">'
        f'<header><h2>{html.escape(address)}</h2><span class="count">{count}</span></header>'
        f"{items}</section>"
    )


def _email_card(email: dict[str, Any]) -> str:
    sender = html.escape(email["from"])
    if email["from_name"]:
        sender = f"{html.escape(email['from_name'])} &lt;{sender}&gt;"
    tags = [f"{key}={value}" for key, value in sorted(email["custom_args"].items())]
    tags += email["categories"]
    meta = "".join(f'<span class="tag">{html.escape(tag)}</span>' for tag in tags)
    text = email["text"]
    body = f'<div class="text">{linkify(text)}</div>' if text else ""
    if email["html"]:
        # The HTML part is rendered only inside a sandboxed iframe (no scripts, its own
        # opaque origin); srcdoc is an attribute, so the document is attribute-escaped. The
        # <base> makes its links open in a new tab instead of inside the frame.
        document = '<base target="_blank">' + email["html"]
        body += (
            "<details><summary>HTML version</summary>"
            '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" '
            f'referrerpolicy="no-referrer" srcdoc="{html.escape(document, quote=True)}">'
            "</iframe></details>"
        )
    for attachment in email.get("attachments", []):
        # Attachments are shown as text (an .ics is): the dev page downloads nothing.
        body += (
            f'<details class="attachment"><summary>Attachment: '
            f"{html.escape(attachment['filename'])} ({html.escape(attachment['type'] or '')})"
            f"</summary><pre>{html.escape(attachment['content'])}</pre></details>"
        )
    return (
        f'<article class="email" data-message-id="{html.escape(email["message_id"])}">'
        f"<h3>{html.escape(email['subject'] or '(no subject)')}</h3>"
        f'<div class="meta">From {sender} · <time datetime="{html.escape(email["sent_at"])}">'
        f"{html.escape(email['sent_at'][11:19])} UTC</time></div>"
        f'<div class="tags">{meta}</div>{body}</article>'
    )


_STYLE = """\
  body { margin: 0; padding: 24px 12px; background: #eef0f4; color: #111;
    font: 15px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; }
  .sub { text-align: center; color: #666; font-size: 13px; margin: 0 0 20px; }
  main { max-width: 760px; margin: 0 auto; display: flex; flex-direction: column; gap: 24px; }
  .mailbox { background: #fff; border-radius: 12px; box-shadow: 0 4px 16px rgba(0,0,0,.08);
    overflow: hidden; }
  .mailbox header { display: flex; justify-content: space-between; align-items: baseline;
    padding: 12px 16px; background: #f7f7f9; border-bottom: 1px solid #e5e5ea; }
  .mailbox h2 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
  .count { font-size: 12px; color: #8e8e93; }
  .email { padding: 12px 16px; border-bottom: 1px solid #eee; }
  .email:last-child { border-bottom: 0; }
  .email h3 { font-size: 15px; margin: 0 0 2px; }
  .meta { font-size: 12px; color: #6e6e73; overflow-wrap: anywhere; }
  .tag { display: inline-block; font-size: 11px; background: #eef2ff; color: #3949ab;
    border-radius: 4px; padding: 0 6px; margin: 4px 4px 0 0; }
  .text { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 8px; }
  .text a { color: #0a64d8; }
  details { margin-top: 8px; font-size: 13px; }
  iframe { width: 100%; height: 360px; border: 1px solid #ddd; border-radius: 6px;
    margin-top: 6px; background: #fff; }
  .empty { text-align: center; color: #666; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; }
"""
