"""Link domain (optional): the REST API on a domain of the business's own, so the links
customers get read ``https://book.example.com/r/…`` rather than ``…execute-api…/prod/r/…``.

Context keys, all optional (without ``linkDomainName`` nothing here is created):

- ``linkDomainName``: the host name, e.g. ``book.example.com``;
- ``linkCertificateArn``: an ACM certificate for it, in the stack's own region (a regional
  API's domain cannot use a certificate from another region);
- ``linkHostedZoneId`` + ``linkHostedZoneName``: a Route 53 public hosted zone the name is
  in. With it the stack points the name at the API (an alias record) and, without a
  certificate ARN, creates a DNS-validated certificate in that zone.

The whole API is mapped at the root, so the Twilio webhooks, the providers' webhooks and
the console's calls answer there too; the functions build every link and callback address
from it (``PUBLIC_BASE_URL``). The WAF's web ACL is on the stage, so it covers both names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct, Node

HOST_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+")
CONTEXT_KEYS = ("linkDomainName", "linkCertificateArn", "linkHostedZoneId", "linkHostedZoneName")


@dataclass(frozen=True)
class LinkDomainSettings:
    domain_name: str
    certificate_arn: str = ""
    hosted_zone_id: str = ""
    hosted_zone_name: str = ""

    @property
    def url(self) -> str:
        """The public base URL links are built on (no trailing slash, as PUBLIC_BASE_URL)."""
        return f"https://{self.domain_name}"

    @classmethod
    def from_context(cls, node: Node) -> LinkDomainSettings | None:
        """The settings from the context keys; None when linkDomainName is not set.

        Refuses a half-given configuration at synth, with what to set, rather than letting
        CloudFormation fail halfway through a deployment.
        """
        given = {key: str(node.try_get_context(key) or "").strip() for key in CONTEXT_KEYS}
        domain_name = given["linkDomainName"].lower().rstrip(".")
        if not domain_name:
            extra = [key for key, value in given.items() if value]
            if extra:
                raise ValueError(f"{', '.join(extra)} given without linkDomainName")
            return None
        if not HOST_NAME.fullmatch(domain_name):
            raise ValueError(
                f"linkDomainName {domain_name!r} is not a host name: give it as "
                "book.example.com, without https:// or a path"
            )
        settings = cls(
            domain_name=domain_name,
            certificate_arn=given["linkCertificateArn"],
            hosted_zone_id=given["linkHostedZoneId"],
            hosted_zone_name=given["linkHostedZoneName"].lower().rstrip("."),
        )
        settings._check()
        return settings

    def _check(self) -> None:
        if self.certificate_arn and not CERTIFICATE_ARN.fullmatch(self.certificate_arn):
            raise ValueError(f"linkCertificateArn {self.certificate_arn!r} is not an ACM ARN")
        if bool(self.hosted_zone_id) != bool(self.hosted_zone_name):
            raise ValueError("linkHostedZoneId and linkHostedZoneName go together")
        if not self.certificate_arn and not self.hosted_zone_id:
            raise ValueError(
                "linkDomainName needs linkCertificateArn (an ACM certificate for it in the "
                "stack's region) or linkHostedZoneId with linkHostedZoneName (a Route 53 zone "
                "to create and validate one in)"
            )
        zone = self.hosted_zone_name
        if zone and not (self.domain_name == zone or self.domain_name.endswith(f".{zone}")):
            raise ValueError(f"linkDomainName {self.domain_name!r} is not in the zone {zone!r}")


def resolve_public_base_url(public_base_url: str, link_domain: LinkDomainSettings | None) -> str:
    """The base URL the functions build links on: the link domain's, when there is one."""
    if link_domain is None:
        return public_base_url
    if public_base_url and public_base_url.rstrip("/") != link_domain.url:
        raise ValueError(
            f"publicBaseUrl {public_base_url!r} and linkDomainName {link_domain.domain_name!r} "
            "disagree: set only linkDomainName"
        )
    return link_domain.url


class LinkDomain(Construct):
    """A regional API Gateway domain name (TLS 1.2), the API's stage mapped at its root, and
    (with a hosted zone) the alias record and, when none is given, the certificate."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_api: apigw.RestApi,
        settings: LinkDomainSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        zone = (
            route53.HostedZone.from_hosted_zone_attributes(
                self,
                "Zone",
                hosted_zone_id=settings.hosted_zone_id,
                zone_name=settings.hosted_zone_name,
            )
            if settings.hosted_zone_id
            else None
        )
        certificate: acm.ICertificate
        if settings.certificate_arn:
            certificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", settings.certificate_arn
            )
        else:
            assert zone is not None  # LinkDomainSettings._check
            certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=settings.domain_name,
                validation=acm.CertificateValidation.from_dns(zone),
            )
        self.domain_name = apigw.DomainName(
            self,
            "DomainName",
            domain_name=settings.domain_name,
            certificate=certificate,
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        # At the root (no base path): a link is <domain>/r/{token}, not <domain>/prod/r/….
        apigw.BasePathMapping(
            self,
            "Mapping",
            domain_name=self.domain_name,
            rest_api=rest_api,
            stage=rest_api.deployment_stage,
        )
        if zone is not None:
            route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=settings.domain_name,
                target=route53.RecordTarget.from_alias(targets.ApiGatewayDomain(self.domain_name)),
            )
        self.url = f"{settings.url}/"
        # Where a CNAME points when the name's DNS is not in Route 53.
        self.target = self.domain_name.domain_name_alias_domain_name
