"""DynamoProviderState: small values an adapter keeps, per business, in the app table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reschedule_dispatch.adapters.dynamodb_provider_state import DynamoProviderState
from tests.tables import pk_sk_table


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield pk_sk_table(boto3.resource("dynamodb"))


def test_a_value_put_is_read_back_and_replaced_by_the_next(table):
    state = DynamoProviderState(table, "lakeside")
    assert state.get("google:sync-token:alex") is None
    state.put("google:sync-token:alex", "token-1")
    assert state.get("google:sync-token:alex") == "token-1"
    state.put("google:sync-token:alex", "token-2")
    assert state.get("google:sync-token:alex") == "token-2"


def test_each_business_has_its_own_values(table):
    lakeside, harbor = DynamoProviderState(table, "lakeside"), DynamoProviderState(table, "harbor")
    lakeside.put("move/1", '{"status": "done"}')
    assert harbor.get("move/1") is None
    harbor.put("move/1", "theirs")
    assert lakeside.get("move/1") == '{"status": "done"}'


def test_values_live_under_the_business_provider_key(table):
    DynamoProviderState(table, "lakeside").put("google:channel:c-1", "tech-alex")
    item = table.get_item(Key={"pk": "PROVIDER#lakeside", "sk": "STATE#google:channel:c-1"})
    assert item["Item"]["value"] == "tech-alex"


def test_an_empty_value_is_kept_as_empty_not_missing(table):
    # Empty strings are valid DynamoDB attribute values (outside keys): "" is not None.
    state = DynamoProviderState(table, "lakeside")
    state.put("k", "")
    assert state.get("k") == ""
