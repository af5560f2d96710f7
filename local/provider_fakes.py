"""The scheduling-provider fakes of the local stack, and seeded businesses kept in them.

`make dev` runs the Google Calendar, Microsoft Graph and ServiceTitan fakes (local/fakes)
beside the Twilio, SendGrid and Slack sandboxes, each under its own prefix on the local
gateway with its own token endpoint. A seeded business whose `provider` is one of them has
its technicians, customers, appointments and blocked times written into that fake, in the
provider's own shapes, instead of into the demo provider's table; its credentials become a
Secrets Manager secret (in moto) and its record's connection points at the fake.

Credentials are fresh at every start. `GET /dev/providers` shows each connected business's
options and credentials, so a developer (or the e2e tests) can call a fake's API as the
business's own staff would, e.g. to change an appointment "elsewhere".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.providers import local_fakes
from local.sandbox_base import Sandbox, json_response
from local.seed import ProviderData
from reschedule_dispatch.domain.business import ProviderConnection, ProviderKind


@dataclass(frozen=True)
class Connected:
    """What `GET /dev/providers` shows of one business kept in a fake."""

    business_id: str
    business_name: str
    connection: ProviderConnection
    credentials: dict[str, Any]

    def shown(self) -> dict[str, Any]:
        return {
            "business_id": self.business_id,
            "business_name": self.business_name,
            "provider": self.connection.name,
            **self.connection.model_dump(mode="json"),
            "credentials": self.credentials,
        }


class ProviderFakes(Sandbox):
    """The three fakes with fresh credentials, and `GET /dev/providers` (JSON) about them.

    Args:
        base_url: the local gateway's URL, which the connections' options point at.
        clock: the fakes' "now"; its day is the first of the seeded schedules (ServiceTitan's
            shifts start there).
    """

    def __init__(self, base_url: str, clock: Callable[[], datetime] = real_now) -> None:
        super().__init__("/dev/providers", "/dev", clock)
        self.base_url = base_url.rstrip("/")
        self.today = clock().date()
        self._local = local_fakes()
        self.by_kind: dict[str, Sandbox] = {
            kind: fake.make(self.base_url, clock) for kind, fake in self._local.items()
        }
        self._secrets = boto3.client("secretsmanager")
        self._lock = threading.Lock()
        self.connected: list[Connected] = []

    def fakes(self) -> list[Sandbox]:
        return list(self.by_kind.values())

    def keep(self, kind: ProviderKind, data: ProviderData) -> ProviderConnection:
        """Writes the business's schedule into the fake of `kind`; answers its connection
        (the secret with its credentials is created in Secrets Manager)."""
        if kind not in self._local:
            raise ValueError(f"no local fake for the {kind} provider")
        options, credentials = self._local[kind].keep(
            self.by_kind[kind], data, self.base_url, self.today
        )
        created = self._secrets.create_secret(
            # Under the prefix the functions may read in AWS (infra/capabilities/providers.py).
            Name=f"reschedule-dispatch/providers/{data.business.id}",
            SecretString=json.dumps(credentials),
        )
        connection = ProviderConnection(kind=kind, secret_arn=created["ARN"], options=options)
        with self._lock:
            self.connected.append(
                Connected(data.business.id, data.business.name, connection, credentials)
            )
        return connection

    # -- GET /dev/providers ------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path != self.prefix or request.method != "GET":
            return json_response({"message": "GET /dev/providers only."}, 404)
        with self._lock:
            shown = [c.shown() for c in self.connected]
        # What each fake's API has answered since the stack started (token requests
        # included): the e2e tests read it before and after a page view.
        requests = {kind: fake.api_requests for kind, fake in self.by_kind.items()}
        return json_response(
            {"businesses": shown, "api_requests": requests}, 200, {"Cache-Control": "no-store"}
        )
