"""ops/bootstrap_status.py, which `make deploy` asks before bootstrapping: against moto's SSM."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from moto import mock_aws

from ops.bootstrap_status import (
    BOOTSTRAPPED,
    CANNOT_TELL,
    MIN_VERSION,
    NOT_BOOTSTRAPPED,
    ROOT,
    main,
    qualifier,
    status,
)

PARAMETER = "/cdk-bootstrap/hnb659fds/version"


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def ask(ssm: Any) -> tuple[int, str]:
    out = io.StringIO()
    return status(ssm, PARAMETER, out), out.getvalue()


def test_a_bootstrapped_account_needs_nothing(ssm):
    ssm.put_parameter(Name=PARAMETER, Value="28", Type="String")
    assert ask(ssm) == (BOOTSTRAPPED, "bootstrapped (version 28)\n")


def test_an_account_never_bootstrapped_is_bootstrapped_by_deploy(ssm):
    code, said = ask(ssm)
    assert code == NOT_BOOTSTRAPPED
    assert PARAMETER in said


def test_a_bootstrap_older_than_the_template_accepts_is_upgraded(ssm):
    ssm.put_parameter(Name=PARAMETER, Value="5", Type="String")
    code, said = ask(ssm)
    assert code == NOT_BOOTSTRAPPED
    assert "older than 6" in said


class Refusing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_parameter(self, Name: str) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        NoCredentialsError(),
        ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetParameter"),
    ],
)
def test_without_credentials_or_rights_it_cannot_tell_and_deploy_stops(error):
    code, said = ask(Refusing(error))
    assert code == CANNOT_TELL
    assert said.startswith("cannot tell whether CDK is bootstrapped")


def test_without_a_region_it_cannot_tell(monkeypatch, tmp_path):
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    out = io.StringIO()
    assert main([], out=out) == CANNOT_TELL
    assert "set AWS_REGION" in out.getvalue()


def test_the_qualifier_is_cdk_jsons_when_it_sets_one(tmp_path):
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {}}))
    assert qualifier(cdk_json) == "hnb659fds"
    cdk_json.write_text(json.dumps({"context": {"@aws-cdk/core:bootstrapQualifier": "rd2026"}}))
    assert qualifier(cdk_json) == "rd2026"


def test_the_minimum_is_what_the_synthesized_template_checks():
    """The template's CheckBootstrapVersion rule refuses 1-5: 6 is the first it accepts."""
    template = ROOT / "cdk.out" / "RescheduleDispatch.template.json"
    if not template.exists():
        pytest.skip("cdk.out is missing: run `make synth`")
    rule = json.loads(template.read_text())["Rules"]["CheckBootstrapVersion"]
    refused = rule["Assertions"][0]["Assert"]["Fn::Not"][0]["Fn::Contains"][0]
    assert refused == [str(v) for v in range(1, MIN_VERSION)]
