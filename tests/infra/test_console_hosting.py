"""The dispatcher console's hosting: a private bucket, CloudFront with Origin Access Control
and strict headers, the files and config.json deployed, and the Cognito client it uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.app import build_app
from tests.infra.test_infra_stack import Resources, of_type, ref, single

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIR = REPO_ROOT / "console"


def flat(value: Any) -> str:
    """A CloudFormation value as text, each intrinsic written as <LogicalId> or <Pseudo>."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(flat(v) for v in value)
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flat(p) for p in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
    if "Fn::Select" in value:
        index, of = value["Fn::Select"]
        return f"<select{index}:{flat(of)}>"
    if "Fn::Split" in value:
        separator, of = value["Fn::Split"]
        return f"<split{separator}:{flat(of)}>"
    return json.dumps(value, sort_keys=True)


def logical_id(resources: Resources, cfn_type: str, containing: str) -> str:
    return next(lid for lid in of_type(resources, cfn_type) if containing in lid)


def console_bucket(resources: Resources) -> tuple[str, dict[str, Any]]:
    lid = logical_id(resources, "AWS::S3::Bucket", "ConsoleBucket")
    return lid, resources[lid]


def distribution(resources: Resources) -> dict[str, Any]:
    _, found = single(of_type(resources, "AWS::CloudFront::Distribution"))
    config: dict[str, Any] = found["Properties"]["DistributionConfig"]
    return config


def test_console_bucket_is_private_encrypted_and_logged(synthesized):
    resources = synthesized.resources
    bucket_id, bucket = console_bucket(resources)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    logs_id = ref(props["LoggingConfiguration"]["DestinationBucketName"])
    logs = resources[logs_id]["Properties"]
    assert logs["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90

    # Every request without TLS is refused, on both buckets
    for bucket_ref in (bucket_id, logs_id):
        policy = next(
            p["Properties"]["PolicyDocument"]
            for p in of_type(resources, "AWS::S3::BucketPolicy").values()
            if ref(p["Properties"]["Bucket"]) == bucket_ref
        )
        assert {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
        }.items() <= policy["Statement"][0].items()


def test_only_this_distribution_reads_the_bucket_through_origin_access_control(synthesized):
    resources = synthesized.resources
    bucket_id, _ = console_bucket(resources)
    config = distribution(resources)
    (origin,) = config["Origins"]
    assert ref(origin["DomainName"]) == bucket_id
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""  # OAC, not the legacy OAI
    oac = resources[ref(origin["OriginAccessControlId"])]["Properties"]
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"

    policy = next(
        p["Properties"]["PolicyDocument"]
        for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if ref(p["Properties"]["Bucket"]) == bucket_id
    )
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    distribution_id = logical_id(resources, "AWS::CloudFront::Distribution", "Console")
    assert flat(allow["Condition"]["StringEquals"]["AWS:SourceArn"]).endswith(
        f":distribution/<{distribution_id}>"
    )


def test_distribution_serves_index_html_over_https_and_logs(synthesized):
    config = distribution(synthesized.resources)
    assert config["DefaultRootObject"] == "index.html"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["Compress"] is True
    assert config["Logging"]["Prefix"] == "cloudfront-console/"
    # The default *.cloudfront.net certificate (see test_an_own_domain_pins_tls_1_2)
    assert "ViewerCertificate" not in config


def test_security_headers_are_strict(synthesized):
    resources = synthesized.resources
    _, policy = single(of_type(resources, "AWS::CloudFront::ResponseHeadersPolicy"))
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    assert ref(distribution(resources)["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]) == (
        logical_id(resources, "AWS::CloudFront::ResponseHeadersPolicy", "Console")
    )
    security = config["SecurityHeadersConfig"]
    csp = flat(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    connect = directives["connect-src"]
    rest_api = logical_id(resources, "AWS::ApiGateway::RestApi", "Api")
    hosted_ui = logical_id(resources, "AWS::Cognito::UserPoolDomain", "HostedUi")
    assert connect[0] == "'self'"
    # The API's origin: scheme and host of its URL (no path, so any stage and route)
    assert connect[1].startswith("https://<select2:<split/:https://<")
    assert f"<{rest_api}>.execute-api." in connect[1]
    assert connect[2] == f"https://<{hosted_ui}>.auth.<AWS::Region>.amazoncognito.com"
    assert len(connect) == 3
    assert security["ContentSecurityPolicy"]["Override"] is True
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"


def test_console_files_and_config_json_are_deployed(synthesized):
    resources = synthesized.resources
    _, deployment = single(of_type(resources, "Custom::CDKBucketDeployment"))
    props = deployment["Properties"]
    bucket_id, _ = console_bucket(resources)
    assert ref(props["DestinationBucketName"]) == bucket_id
    assert props["Prune"] is True
    assert props["DistributionPaths"] == ["/*"]  # a deployment invalidates the edge copies
    assert "max-age=0" in props["SystemMetadata"]["cache-control"]

    outdir = Path(synthesized.app.outdir)
    files_key, config_key = (key.removesuffix(".zip") for key in props["SourceObjectKeys"])
    # The console folder as it is (no build step)...
    staged = outdir / f"asset.{files_key}"
    expected = {p.relative_to(CONSOLE_DIR) for p in CONSOLE_DIR.rglob("*") if p.is_file()}
    assert {p.relative_to(staged) for p in staged.rglob("*") if p.is_file()} == expected
    assert Path("config.json") not in expected  # it only ever comes from the deployment

    # ...and config.json with the API's URL and the Cognito ids filled in at deploy time
    config_text = (outdir / f"asset.{config_key}" / "config.json").read_text()
    markers = props["SourceMarkers"][1]
    for marker, value in markers.items():
        config_text = config_text.replace(marker, json.dumps(flat(value)))
    config = {
        k: json.loads(v) if v.startswith('"') else v for k, v in json.loads(config_text).items()
    }
    rest_api = logical_id(resources, "AWS::ApiGateway::RestApi", "Api")
    client = logical_id(resources, "AWS::Cognito::UserPoolClient", "Console")
    pool = logical_id(resources, "AWS::Cognito::UserPool", "UserPool")
    hosted_ui = logical_id(resources, "AWS::Cognito::UserPoolDomain", "HostedUi")
    assert config["auth"] == "cognito"
    assert config["apiBaseUrl"].startswith(f"https://<{rest_api}>.execute-api.<AWS::Region>.")
    assert config["userPoolId"] == f"<{pool}>"
    assert config["clientId"] == f"<{client}>"
    assert config["region"] == "<AWS::Region>"
    assert config["domain"] == f"https://<{hosted_ui}>.auth.<AWS::Region>.amazoncognito.com"


def test_console_signs_in_with_the_code_flow_back_to_its_own_address(synthesized):
    resources = synthesized.resources
    _, client = single(of_type(resources, "AWS::Cognito::UserPoolClient"))
    props = client["Properties"]
    distribution_id = logical_id(resources, "AWS::CloudFront::Distribution", "Console")
    console_url = f"https://<{distribution_id}.DomainName>/"
    assert props["AllowedOAuthFlows"] == ["code"]  # with PKCE from the console; no implicit
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(props["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert [flat(u) for u in props["CallbackURLs"]] == [console_url]
    assert [flat(u) for u in props["LogoutURLs"]] == [console_url]
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    assert props["GenerateSecret"] is False  # a public client: the console runs in a browser
    assert "ALLOW_USER_PASSWORD_AUTH" not in props["ExplicitAuthFlows"]
    _, domain = single(of_type(resources, "AWS::Cognito::UserPoolDomain"))
    assert flat(domain["Properties"]["Domain"]) == "reschedule-dispatch-<AWS::AccountId>"


def test_console_url_is_an_output(synthesized):
    outputs = synthesized.template.to_json()["Outputs"]
    distribution_id = logical_id(synthesized.resources, "AWS::CloudFront::Distribution", "Console")
    assert flat(outputs["ConsoleUrl"]["Value"]) == f"https://<{distribution_id}.DomainName>/"


def test_an_own_domain_pins_tls_1_2():
    # Given an own domain and its ACM certificate in the context (a second synth)
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    certificate = (
        "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
    )
    app, stack = build_app(
        {
            **context,
            "consoleDomainName": "dispatch.example.com",
            "consoleCertificateArn": certificate,
        }
    )
    resources = Template.from_stack(stack).to_json()["Resources"]

    # Then CloudFront serves it there with TLS 1.2 as the minimum, and Cognito returns there
    config = distribution(resources)
    assert config["Aliases"] == ["dispatch.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": certificate,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    _, client = single(of_type(resources, "AWS::Cognito::UserPoolClient"))
    assert client["Properties"]["CallbackURLs"] == ["https://dispatch.example.com/"]
    # And cdk-nag has nothing to say (CFR4 is acknowledged only on the default certificate)
    assert AwsSolutionsChecks().validate_scope(app).success is True
