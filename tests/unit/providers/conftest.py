"""Fixtures the provider suites share: the app's webhook route in front of a suite's
`provider`, served on a real port for the fakes to deliver to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reschedule_dispatch.domain.ports import ProviderWebhooks
from tests.serving import serve
from tests.unit.providers import WebhookReceiver


@pytest.fixture
def receiver(provider: ProviderWebhooks) -> WebhookReceiver:
    return WebhookReceiver(provider.parse_webhook)


@pytest.fixture
def hook_url(receiver: WebhookReceiver) -> Iterator[str]:
    with serve(receiver) as url:
        yield url + "/webhooks/providers"
