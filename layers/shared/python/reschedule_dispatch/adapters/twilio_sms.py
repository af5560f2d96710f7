"""Twilio SMS sender: the real twilio client, optionally pointed at a local sandbox."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from reschedule_dispatch.domain.errors import Conflict, MessagingUnavailable, Unprocessable

TWILIO_API_ORIGIN = "https://api.twilio.com"


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type hints here
    """Sends the twilio library's requests for api.twilio.com to another base URL.

    This is the base-URL override the local Twilio sandbox relies on: every other part of
    the client (auth, form encoding, response parsing, errors) stays the library's own.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API_ORIGIN):
            url = self.base_url + url[len(TWILIO_API_ORIGIN) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client(account_sid: str, auth_token: str, api_base_url: str | None = None) -> Client:
    """A twilio Client; with `api_base_url` it talks to that host instead of Twilio."""
    # The library logs request bodies at INFO: an SMS body holds the customer's link.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    http_client = BaseUrlHttpClient(api_base_url) if api_base_url else None
    return Client(account_sid, auth_token, http_client=http_client)


# Twilio error codes that mean this number cannot get the message, in the dispatcher's words.
REJECTED_NUMBER = {
    21211: "The customer's phone number is not a valid phone number.",
    21408: "Messages to this country are not enabled for the business.",
    21612: "This number cannot receive messages from the business number.",
    21614: "The customer's phone number is not a mobile number.",
}


OPTED_OUT = 21610


class TwilioSmsSender:
    def __init__(self, client: Client) -> None:
        self._client = client

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> str:
        """`from_` is the business number or its Messaging Service SID (MG…)."""
        sender = {"messaging_service_sid": from_} if from_.startswith("MG") else {"from_": from_}
        try:
            message = self._client.messages.create(
                to=to, body=body, status_callback=status_callback, **sender
            )
        except TwilioRestException as error:
            if error.code == OPTED_OUT:
                raise Conflict(
                    "The customer has opted out of messages from this business."
                ) from error
            if error.code in REJECTED_NUMBER:
                raise Unprocessable(REJECTED_NUMBER[error.code]) from error
            raise MessagingUnavailable(
                f"The SMS could not be sent (Twilio error {error.code})."
            ) from error
        except (TwilioException, OSError) as error:
            raise MessagingUnavailable(
                "The SMS service could not be reached. Try again."
            ) from error
        return str(message.sid)

    def sent_body(self, message_sid: str) -> str:
        try:
            message = self._client.messages(message_sid).fetch()
        except TwilioRestException as error:
            if error.status == HTTPStatus.NOT_FOUND:
                raise Conflict("The first message is no longer available at Twilio.") from error
            raise MessagingUnavailable(
                f"The SMS could not be read back (Twilio error {error.code})."
            ) from error
        except (TwilioException, OSError) as error:
            raise MessagingUnavailable(
                "The SMS service could not be reached. Try again."
            ) from error
        if not message.body:
            raise Conflict("The first message's text is not available (redacted at Twilio).")
        return str(message.body)
