"""Each call to a provider's API is one X-Ray subsegment where a trace is under way, named
for the provider, with its method and host and never its path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aws_xray_sdk import global_sdk_config  # type: ignore[import-untyped]
from aws_xray_sdk.core import xray_recorder  # type: ignore[import-untyped]

from reschedule_dispatch.tracing import outside_call


class Subsegment:
    def __init__(self, name: str) -> None:
        self.name = name
        self.namespace = ""
        self.annotations: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any) -> None:
        self.metadata[key] = value


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Subsegment]:
    found: list[Subsegment] = []

    @contextmanager
    def in_subsegment(name: str) -> Iterator[Subsegment]:
        found.append(Subsegment(name))
        yield found[-1]

    monkeypatch.setattr(xray_recorder, "in_subsegment", in_subsegment)
    monkeypatch.setattr(global_sdk_config, "sdk_enabled", lambda: True)
    return found


def test_in_a_traced_invocation_each_call_is_a_subsegment(opened, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    with outside_call("Google Calendar", "GET", "www.googleapis.com"):
        pass
    [subsegment] = opened
    assert subsegment.name == "## Google Calendar"
    assert subsegment.namespace == "remote"
    assert subsegment.metadata == {"request": {"method": "GET", "host": "www.googleapis.com"}}


def test_without_a_trace_nothing_is_opened(opened, monkeypatch):
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    with outside_call("Google Calendar", "GET", "www.googleapis.com"):
        pass
    assert opened == []


def test_a_provider_call_goes_through_it(opened, monkeypatch):
    from reschedule_dispatch.adapters.provider_http import ProviderHttp
    from tests.unit.providers.test_provider_http import StaticToken, keep_alive_peer

    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    with keep_alive_peer() as base:
        ProviderHttp(base, StaticToken(), provider="Test").request("GET", "/events/secret-id")
    [subsegment] = opened
    assert subsegment.name == "## Test"
    assert "secret-id" not in str(subsegment.metadata)
