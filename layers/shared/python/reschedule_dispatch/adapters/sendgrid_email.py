"""SendGrid email sender: one Mail Send v3 request over pooled HTTP (json_http), optionally aimed at a sandbox.

It implements the email port (`EmailSender` in `domain/ports.py`); `send` returns SendGrid's
X-Message-Id.

The whole API surface used is one JSON POST, so the standard library does it: the official
SDK would add two packages to the dependency layer for no gain. Errors come back as
`{"errors": [{"message", "field", "help"}]}` and are mapped to domain errors:

* 400 (a bad address or field), 413 (too large) → `Unprocessable`; resending cannot help.
* 401, 403 (API key or sender identity) → `MessagingUnavailable`, saying what to check.
* 429, 5xx, timeouts, unreachable → `MessagingUnavailable`, saying to try again.

Email bodies carry customers' links: nothing here logs them.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from reschedule_dispatch.adapters.json_http import (
    Headers,
    endpoint,
    json_object,
    post_json,
    retry_after_seconds,
)
from reschedule_dispatch.domain.errors import MessagingUnavailable, Unprocessable
from reschedule_dispatch.domain.ports import EmailAttachment

logger = logging.getLogger(__name__)

SENDGRID_API_ORIGIN = "https://api.sendgrid.com"
MAIL_SEND_PATH = "/v3/mail/send"
DEFAULT_TIMEOUT_SECONDS = 10.0

# A recipient's address, in any personalization: "personalizations.0.to.0.email" and the like.
_RECIPIENT_FIELD = re.compile(r"personalizations\.\d+\.(to|cc|bcc)(\.\d+(\.email)?)?")


class SendGridEmailSender:
    """Sends email through SendGrid's Mail Send v3 API.

    Args:
        api_key: a SendGrid API key with the Mail Send permission (sent as a Bearer token).
        api_base_url: where to send instead of https://api.sendgrid.com, e.g. the local
            sandbox at "http://127.0.0.1:8000/sendgrid"; the path /v3/mail/send is appended.
        timeout: seconds to wait for the connection and for the answer.
    """

    def __init__(
        self,
        api_key: str,
        api_base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._url = endpoint(api_base_url, SENDGRID_API_ORIGIN, MAIL_SEND_PATH)
        self._api_key = api_key
        self._timeout = timeout

    def send(
        self,
        to: str,
        from_email: str,
        from_name: str,
        subject: str,
        text: str,
        html: str | None = None,
        *,
        categories: Sequence[str] = (),
        custom_args: Mapping[str, str] | None = None,
        attachments: Sequence[EmailAttachment] = (),
    ) -> str:
        """Send one email to `to`; return SendGrid's message id (the X-Message-Id header).

        `categories` and `custom_args` (e.g. {"session_id": ...}) come back on SendGrid's
        event webhook, which is how a delivery event finds its session again.
        """
        content = [{"type": "text/plain", "value": text}]  # SendGrid wants text/plain first
        if html:
            content.append({"type": "text/html", "value": html})
        payload: dict[str, Any] = {
            "personalizations": [{"to": [{"email": to}]}],
            "from": {"email": from_email, "name": from_name},
            "subject": subject,
            "content": content,
            # Click tracking rewrites every link through SendGrid's redirect domain: the
            # customer's private link would be stored and logged there. Open tracking adds a
            # pixel nobody asked for. Both off, whatever the account's defaults are.
            "tracking_settings": {
                "click_tracking": {"enable": False, "enable_text": False},
                "open_tracking": {"enable": False},
            },
        }
        if categories:
            payload["categories"] = list(categories)
        if custom_args:
            payload["custom_args"] = dict(custom_args)
        if attachments:
            payload["attachments"] = [
                {
                    "content": base64.b64encode(a.content).decode("ascii"),
                    "type": a.content_type,
                    "filename": a.filename,
                    "disposition": "attachment",
                }
                for a in attachments
            ]

        status, headers, body = self._post(payload)
        if 200 <= status < 300:
            message_id = headers.get("X-Message-Id")
            if not message_id:
                # Accepted all the same: raising would invite a retry and a second email.
                logger.warning("SendGrid accepted an email without an X-Message-Id header")
                return ""
            return str(message_id)
        raise _error_for(status, headers, body)

    def _post(self, payload: dict[str, Any]) -> tuple[int, Headers, bytes]:
        return post_json(
            self._url,
            self._api_key,
            payload,
            self._timeout,
            unreachable="The email service could not be reached. Try again.",
        )


def _error_for(status: int, headers: Headers, body: bytes) -> Exception:
    """The domain error for a non-2xx answer from Mail Send."""
    errors = _errors(body)
    first = errors[0] if errors else {}
    field = str(first.get("field") or "")
    message = str(first.get("message") or "").strip()
    if status == 400:
        if _RECIPIENT_FIELD.fullmatch(field):
            return Unprocessable("The recipient's email address is not valid.")
        if field.startswith("from"):
            return Unprocessable("The business's sender email address is not valid.")
        detail = f": {message}" if message else "."
        return Unprocessable(f"SendGrid rejected the email{detail}")
    if status == 413:
        return Unprocessable("The email is too large to send.")
    if status == 401:
        return MessagingUnavailable(
            "SendGrid refused the API key (HTTP 401). Check the email settings."
        )
    if status == 403:
        if "sender identity" in message.lower():
            return MessagingUnavailable(
                "The sender address is not a verified sender at SendGrid (HTTP 403). "
                "Check the email settings."
            )
        return MessagingUnavailable(
            "SendGrid refused to send with this API key (HTTP 403). Check the email settings."
        )
    if status == 429:
        delay = retry_after_seconds(headers)
        when = f"in {delay} seconds" if delay is not None else "in a minute"
        return MessagingUnavailable(
            f"SendGrid is rate limiting email (HTTP 429). Try again {when}."
        )
    return MessagingUnavailable(
        f"The email service could not take the message (HTTP {status}). Try again."
    )


def _errors(body: bytes) -> list[dict[str, Any]]:
    """SendGrid's `errors` array, or [] when the body is not that shape (e.g. a proxy page)."""
    errors = (json_object(body) or {}).get("errors")
    if not isinstance(errors, list):
        return []
    return [error for error in errors if isinstance(error, dict)]
