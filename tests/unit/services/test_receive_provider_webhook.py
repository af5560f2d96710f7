"""A provider's webhook: one answer for anything unverified, and each event applied once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reschedule_dispatch.adapters.dynamodb_seen_events import DynamoSeenEvents
from reschedule_dispatch.domain.errors import NotFound, WebhookRejected
from reschedule_dispatch.domain.provider_events import (
    ProviderChange,
    ProviderEvent,
    WebhookOutcome,
    WebhookRequest,
)
from reschedule_dispatch.services.provider_events import NOT_VERIFIED, ReceiveProviderWebhook
from tests.tables import pk_sk_table

REQUEST = WebhookRequest("POST", "https://api.test/webhooks", {}, {}, b"{}")


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 23, 15, tzinfo=UTC)


class Receiver:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
        if isinstance(self.answer, Exception):
            raise self.answer
        outcome: WebhookOutcome = self.answer
        return outcome


class Receivers:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def webhooks(self, business_id: str, kind: str) -> Receiver:
        if business_id != "acme":
            raise NotFound("No such webhook.")
        return Receiver(self.answer)


@pytest.fixture
def seen():
    with mock_aws():
        yield DynamoSeenEvents(pk_sk_table(boto3.resource("dynamodb")))


@pytest.mark.parametrize(
    ("business", "answer"),
    [
        ("ghost", WebhookOutcome()),  # no such business (or not on this provider)
        ("acme", WebhookRejected("missing signature", status=401)),
        ("acme", WebhookRejected("wrong signature", status=403)),
    ],
)
def test_everything_unverified_gets_one_answer(seen, business, answer):
    receive = ReceiveProviderWebhook(
        receivers=Receivers(answer),
        apply=_Apply(),  # type: ignore[arg-type]
        seen=seen,
        clock=Clock(),
    )
    with pytest.raises(WebhookRejected) as refused:
        receive(business, "servicetitan", REQUEST)
    assert (refused.value.status, str(refused.value)) == (403, NOT_VERIFIED)


def test_an_event_delivered_again_is_applied_once(seen):
    event = ProviderEvent("acme", "a-1", ProviderChange.NO_SHOW, event_id="st:evt-42")
    applied = _Apply()
    receive = ReceiveProviderWebhook(
        receivers=Receivers(WebhookOutcome(events=(event,))),
        apply=applied,  # type: ignore[arg-type]
        seen=seen,
        clock=Clock(),
    )
    for _ in range(3):  # a redelivery, then a captured request replayed
        receive("acme", "servicetitan", REQUEST)
    assert applied.events == [event]
    another = ProviderEvent("acme", "a-1", ProviderChange.NO_SHOW, event_id="st:evt-43")
    receive._receivers = Receivers(WebhookOutcome(events=(another,)))
    receive("acme", "servicetitan", REQUEST)
    assert applied.events == [event, another]


class _Apply:
    def __init__(self) -> None:
        self.events: list[ProviderEvent] = []

    def __call__(self, event: ProviderEvent) -> None:
        self.events.append(event)


def test_an_event_that_failed_to_apply_is_applied_when_redelivered(seen):
    event = ProviderEvent("acme", "a-1", ProviderChange.CANCELED, event_id="graph:evt-7")

    class Failing(_Apply):
        def __call__(self, event: ProviderEvent) -> None:
            if not self.events:
                self.events.append(event)
                raise RuntimeError("the provider's re-read answered 503")
            self.events.append(event)

    applied = Failing()
    receive = ReceiveProviderWebhook(
        receivers=Receivers(WebhookOutcome(events=(event,))),
        apply=applied,  # type: ignore[arg-type]
        seen=seen,
        clock=Clock(),
    )
    with pytest.raises(RuntimeError):
        receive("acme", "microsoft_graph", REQUEST)  # the webhook answers 5xx: redelivered
    receive("acme", "microsoft_graph", REQUEST)
    assert applied.events == [event, event]  # tried again, not skipped as seen
    receive("acme", "microsoft_graph", REQUEST)
    assert len(applied.events) == 2  # once applied, a redelivery is skipped
