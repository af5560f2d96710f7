"""The optional link domain: the API on the business's own domain, and every link built on it.

Two more synths (a given certificate; a hosted zone the stack creates one in); the default
synth (the session's) must stay without any of it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.app import build_app
from tests.infra.test_console_hosting import flat
from tests.infra.test_infra_stack import REPO_ROOT, Resources, of_type, ref, single

DOMAIN = "book.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
ZONE_ID, ZONE_NAME = "Z0123456789ABCDEFGHIJ", "example.com"
# Functions that build links or callback addresses (the portal reads its own Host header).
LINK_BUILDERS = {
    "functions/dispatcher_api",
    "functions/dispatcher_move",
    "functions/send_link",
    "functions/session_actions",
    "functions/webhooks",
    "functions/provider_webhooks",
}
DOMAIN_TYPES = (
    "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::CertificateManager::Certificate",
    "AWS::Route53::RecordSet",
)


def cdk_context(**extra: str) -> dict[str, Any]:
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {**context, **extra}


def synth(**extra: str) -> tuple[Resources, dict[str, Any], bool]:
    """Resources, outputs and whether cdk-nag has nothing unacknowledged."""
    app, stack = build_app(cdk_context(**extra))
    template = Template.from_stack(stack).to_json()
    return (
        template["Resources"],
        template["Outputs"],
        AwsSolutionsChecks().validate_scope(app).success,
    )


@pytest.fixture(scope="module")
def with_certificate() -> tuple[Resources, dict[str, Any], bool]:
    return synth(linkDomainName=DOMAIN, linkCertificateArn=CERTIFICATE)


@pytest.fixture(scope="module")
def with_zone() -> tuple[Resources, dict[str, Any], bool]:
    return synth(linkDomainName=DOMAIN, linkHostedZoneId=ZONE_ID, linkHostedZoneName=ZONE_NAME)


def base_urls(resources: Resources, variable: str) -> dict[str, str]:
    return {
        fn["Metadata"]["reschedule:source"]: fn["Properties"]["Environment"]["Variables"][variable]
        for fn in of_type(resources, "AWS::Lambda::Function").values()
        if variable in fn["Properties"].get("Environment", {}).get("Variables", {})
    }


def test_without_a_link_domain_the_default_synth_has_none(synthesized):
    for cfn_type in DOMAIN_TYPES:
        assert not of_type(synthesized.resources, cfn_type), cfn_type
    outputs = synthesized.template.to_json()["Outputs"]
    assert "LinkBaseUrl" not in outputs
    assert set(base_urls(synthesized.resources, "PUBLIC_BASE_URL").values()) == {""}


def test_a_link_domain_serves_the_api_at_its_root_with_tls_1_2(with_certificate):
    resources, outputs, nag_clean = with_certificate
    # Then one regional domain name on the given certificate, TLS 1.2 at least
    _, domain = single(of_type(resources, "AWS::ApiGateway::DomainName"))
    assert {k: v for k, v in domain["Properties"].items() if k != "Tags"} == {
        "DomainName": DOMAIN,
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
        "RegionalCertificateArn": CERTIFICATE,
        "SecurityPolicy": "TLS_1_2",
    }
    # And the API's prod stage mapped at its root (a link is <domain>/r/{token})
    _, mapping = single(of_type(resources, "AWS::ApiGateway::BasePathMapping"))
    props = mapping["Properties"]
    assert "BasePath" not in props
    assert ref(props["DomainName"]) in of_type(resources, "AWS::ApiGateway::DomainName")
    assert ref(props["RestApiId"]) in of_type(resources, "AWS::ApiGateway::RestApi")
    assert ref(props["Stage"]) in of_type(resources, "AWS::ApiGateway::Stage")
    # And no certificate or DNS record of its own (DNS is the operator's: the target output)
    assert not of_type(resources, "AWS::CertificateManager::Certificate")
    assert not of_type(resources, "AWS::Route53::RecordSet")
    assert outputs["LinkBaseUrl"]["Value"] == f"https://{DOMAIN}/"
    domain_id = single(of_type(resources, "AWS::ApiGateway::DomainName"))[0]
    assert flat(outputs["LinkDomainTarget"]["Value"]) == f"<{domain_id}.RegionalDomainName>"
    assert nag_clean


def test_every_link_and_callback_address_is_on_the_link_domain(with_certificate):
    resources, _, _ = with_certificate
    # Every function given a public base URL gets the domain's, the link builders among them
    given = base_urls(resources, "PUBLIC_BASE_URL")
    assert set(given.values()) == {f"https://{DOMAIN}"}
    assert set(given) >= LINK_BUILDERS
    # Google's and Graph's push notifications come back to it too
    assert set(base_urls(resources, "WEBHOOK_BASE_URL").values()) == {f"https://{DOMAIN}"}


def test_a_hosted_zone_gets_a_validated_certificate_and_an_alias_record(with_zone):
    resources, outputs, nag_clean = with_zone
    _, certificate = single(of_type(resources, "AWS::CertificateManager::Certificate"))
    assert certificate["Properties"]["DomainName"] == DOMAIN
    assert certificate["Properties"]["ValidationMethod"] == "DNS"
    assert certificate["Properties"]["DomainValidationOptions"] == [
        {"DomainName": DOMAIN, "HostedZoneId": ZONE_ID}
    ]
    _, domain = single(of_type(resources, "AWS::ApiGateway::DomainName"))
    certificate_id = single(of_type(resources, "AWS::CertificateManager::Certificate"))[0]
    assert ref(domain["Properties"]["RegionalCertificateArn"]) == certificate_id
    _, record = single(of_type(resources, "AWS::Route53::RecordSet"))
    domain_id = single(of_type(resources, "AWS::ApiGateway::DomainName"))[0]
    assert record["Properties"]["Type"] == "A"
    assert record["Properties"]["Name"] == f"{DOMAIN}."
    assert record["Properties"]["HostedZoneId"] == ZONE_ID
    assert flat(record["Properties"]["AliasTarget"]["DNSName"]) == (
        f"<{domain_id}.RegionalDomainName>"
    )
    assert set(base_urls(resources, "PUBLIC_BASE_URL").values()) == {f"https://{DOMAIN}"}
    assert outputs["LinkBaseUrl"]["Value"] == f"https://{DOMAIN}/"
    assert nag_clean


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"linkDomainName": DOMAIN}, "linkCertificateArn"),
        ({"linkCertificateArn": CERTIFICATE}, "without linkDomainName"),
        ({"linkDomainName": f"https://{DOMAIN}/", "linkCertificateArn": CERTIFICATE}, "host"),
        ({"linkDomainName": DOMAIN, "linkCertificateArn": "my-certificate"}, "ACM"),
        ({"linkDomainName": DOMAIN, "linkHostedZoneId": ZONE_ID}, "go together"),
        (
            {
                "linkDomainName": "book.example.org",
                "linkHostedZoneId": ZONE_ID,
                "linkHostedZoneName": ZONE_NAME,
            },
            "not in the zone",
        ),
        (
            {
                "linkDomainName": DOMAIN,
                "linkCertificateArn": CERTIFICATE,
                "publicBaseUrl": "https://elsewhere.example.com",
            },
            "disagree",
        ),
    ],
)
def test_a_half_given_link_domain_is_refused_at_synth(context, message):
    with pytest.raises(ValueError, match=message):
        build_app(context)
