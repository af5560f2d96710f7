"""Console: the dispatcher web console, static files in a private bucket behind CloudFront.

The files in ``console/`` are deployed as they are (no build step) with a ``config.json``
written at deploy time: the API's URL and the Cognito ids the console signs in with.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnResource, Duration, Fn, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import nag
from infra.capabilities.auth import Auth
from infra.lambda_factory import ignore_redundant_depends_on

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console"
LOG_RETENTION_DAYS = 90
# Browsers revalidate every load (a 304 when unchanged); the edge keeps a day's copy and a
# deployment invalidates it. The files are not fingerprinted, so this is what keeps a new
# deployment from mixing with old modules in a browser's cache.
CACHE_CONTROL = "public, max-age=0, s-maxage=86400, must-revalidate"


def content_security_policy(api_origin: str, sign_in_origin: str) -> str:
    """Only the console's own files; fetches to the API and the Cognito token endpoint."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {api_origin} {sign_in_origin}",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ]
    )


class ConsoleHosting(Construct):
    """A private S3 bucket (Origin Access Control only), CloudFront with security headers,
    the console's files and config.json, and the Cognito app client that redirects to it.

    Optional context ``consoleDomainName`` + ``consoleCertificateArn`` (an ACM certificate in
    us-east-1) serve it on the business's own domain with TLS 1.2 as the minimum.
    """

    def __init__(self, scope: Construct, construct_id: str, *, api_url: str, auth: Auth) -> None:
        super().__init__(scope, construct_id)
        self.logs_bucket = self._logs_bucket()
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3-console/",
            # Only deployable files live here; they come back with the next deployment.
            removal_policy=RemovalPolicy.DESTROY,
        )

        # "https://abc123.execute-api.us-east-1.amazonaws.com/prod/" -> its origin
        api_origin = "https://" + Fn.select(2, Fn.split("/", api_url))
        sign_in_origin = auth.hosted_ui.base_url()
        self.distribution = self._distribution(content_security_policy(api_origin, sign_in_origin))
        self.url = f"https://{self.domain_name}/"

        client = auth.add_console_client(self.url)
        config = {
            "apiBaseUrl": api_url,
            "auth": "cognito",
            "userPoolId": auth.user_pool.user_pool_id,
            "clientId": client.user_pool_client_id,
            "region": Aws.REGION,
            "domain": sign_in_origin,
        }
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Files",
            sources=[
                s3deploy.Source.asset(str(CONSOLE_DIR)),
                s3deploy.Source.json_data("config.json", config),
            ],
            destination_bucket=self.bucket,
            cache_control=[s3deploy.CacheControl.from_string(CACHE_CONTROL)],
            prune=True,
            # The bucket holds nothing else: deleting the stack removes the files with it.
            retain_on_delete=False,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
        )
        self._acknowledge_deployment_function()

    def _logs_bucket(self) -> s3.Bucket:
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logging writes with an ACL, so the bucket must allow ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(LOG_RETENTION_DAYS))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            logs,
            "S1",
            "This bucket is the access-log destination of the console bucket and CloudFront; "
            "logging its own access would write logs about logs, without end.",
        )
        return logs

    def _distribution(self, csp: str) -> cloudfront.Distribution:
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Reschedule Dispatch console: strict CSP and security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy",
                        value="camera=(), microphone=(), geolocation=(), payment=()",
                        override=True,
                    ),
                    cloudfront.ResponseCustomHeader(
                        header="Cross-Origin-Opener-Policy", value="same-origin", override=True
                    ),
                ]
            ),
        )

        domain_name = self.node.try_get_context("consoleDomainName")
        certificate_arn = self.node.try_get_context("consoleCertificateArn")
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if domain_name and certificate_arn
            else None
        )
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Reschedule Dispatch: dispatcher console",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            domain_names=[domain_name] if certificate else None,
            certificate=certificate,
            # Only an own certificate can pin the TLS version (see CFR4 below).
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs_bucket,
            log_file_prefix="cloudfront-console/",
        )
        self.domain_name = domain_name if certificate else distribution.distribution_domain_name

        if certificate is None:
            nag.acknowledge(
                distribution,
                "CFR4",
                "Served on the default *.cloudfront.net certificate, where CloudFront cannot "
                "pin a minimum TLS version; browsers negotiate TLS 1.2/1.3. Set the context "
                "consoleDomainName and consoleCertificateArn to serve it on an own domain with "
                "TLSv1.2_2021 as the minimum.",
            )
        nag.acknowledge(
            distribution,
            "CFR1",
            "No geo restriction: dispatchers sign in from wherever they work. The files are "
            "public static assets with no data in them; every piece of data is behind Cognito "
            "on the API.",
        )
        nag.acknowledge(
            distribution,
            "CFR2",
            "No WAF on the console's static files: all data goes through the API, which has "
            "its own regional web ACL (AWS common rules and a per-IP rate limit). A "
            "CloudFront-scope web ACL must be created in us-east-1, and this stack deploys "
            "to any region.",
        )
        return distribution

    def _acknowledge_deployment_function(self) -> None:
        """BucketDeployment's copying function: a CDK-managed singleton at the stack's root."""
        handler_role = self.deployment.handler_role
        handler = handler_role.node.scope  # the function the role belongs to
        if handler is None:
            raise ValueError("BucketDeployment's role has no function")
        function_resource = handler.node.default_child
        if isinstance(function_resource, CfnResource):
            ignore_redundant_depends_on(function_resource)
        nag.acknowledge(
            handler,
            "L1",
            "CDK's BucketDeployment function: CDK pins its runtime to match the AWS CLI layer "
            "it ships with. It runs only while a deployment copies the console's files, "
            "never on a request.",
        )
        nag.acknowledge(
            handler_role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "CDK's BucketDeployment function (it copies the console's files at deploy time) "
            "writes its logs with the AWS-managed basic execution policy.",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Action::s3:GetObject*]",
            "Added by BucketDeployment: reads the console's asset zip from the CDK asset bucket.",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Action::s3:GetBucket*]",
            "Added by BucketDeployment: reads the asset and console buckets' metadata.",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Action::s3:List*]",
            "Added by BucketDeployment: lists the console bucket to prune removed files.",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Action::s3:DeleteObject*]",
            "Added by BucketDeployment: removes files no longer in console/ (prune).",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Action::s3:Abort*]",
            "Added by BucketDeployment: aborts its own failed multipart uploads.",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
            "<AWS::Region>/*]",
            "Added by BucketDeployment: the CDK bootstrap asset bucket's objects (the "
            "console's zip).",
        )
        nag.acknowledge(
            handler_role,
            f"IAM5[Resource::{nag.arn_reference(self.bucket)}/*]",
            "Added by BucketDeployment: writes the console's files into its own bucket.",
        )
        nag.acknowledge(
            handler_role,
            "IAM5[Resource::*]",
            "Added by BucketDeployment: cloudfront:CreateInvalidation and GetInvalidation do "
            "not support resource-level permissions.",
        )
