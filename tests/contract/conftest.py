"""Contract tests: each port's in-memory fake (tests/fakes.py) and its real adapter pass the
same tests, so a unit test on the fake says what the product does.

The DynamoDB adapters run on moto, on tables keyed and indexed as the synthesized template
defines them (cdk.out, as the integration tests use it); nothing else of the stack is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.template import TEMPLATE_NAME, Template

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Tables:
    app: Any
    provider: Any


@pytest.fixture
def tables() -> Iterator[Tables]:
    cdk_out = ROOT / "cdk.out"
    if not (cdk_out / TEMPLATE_NAME).exists():
        pytest.fail("cdk.out is missing: run `make synth` (make test does it)")
    template = Template.load(cdk_out)
    names: dict[str, str] = {}
    for spec in template.functions().values():
        names.update(
            (k, v)
            for k, v in spec.environment.items()
            if k in ("APP_TABLE_NAME", "PROVIDER_TABLE_NAME")
        )
    with mock_aws():
        client = boto3.client("dynamodb")
        for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
            props = resource["Properties"]
            table: dict[str, Any] = {
                "TableName": template.physical_name(logical_id),
                "KeySchema": props["KeySchema"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": "PAY_PER_REQUEST",
            }
            indexes = [
                {k: i[k] for k in ("IndexName", "KeySchema", "Projection")}
                for i in props.get("GlobalSecondaryIndexes", [])
            ]
            if indexes:
                table["GlobalSecondaryIndexes"] = indexes
            client.create_table(**table)
        dynamodb = boto3.resource("dynamodb")
        yield Tables(
            app=dynamodb.Table(names["APP_TABLE_NAME"]),
            provider=dynamodb.Table(names["PROVIDER_TABLE_NAME"]),
        )
