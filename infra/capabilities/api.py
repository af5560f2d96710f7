"""API: the REST API, its Lambda functions and the WAF web ACL in front of it.

Dispatcher routes (/api/*) need a Cognito token. Customer routes (/r/{token}, and a move's
/r/invite/{token}) carry a bearer token checked in code, and the webhooks (Twilio's, and the
scheduling providers' at /webhooks/providers/{provider}) are verified in code by their
signatures, so none of those has an API Gateway authorizer.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra import nag
from infra.capabilities.expiry import Expiry
from infra.capabilities.providers import grant_provider_secret_writes, grant_provider_secrets
from infra.lambda_factory import LambdaFactory, live_alias

STAGE_NAME = "prod"
THROTTLING_RATE_LIMIT = 50  # requests per second, steady state, across the stage
THROTTLING_BURST_LIMIT = 100
WAF_RATE_LIMIT = 500  # requests per client IP per 5 minutes
# Link guessing, enforced by the portal function: unknown link tokens one client may try per
# window before every link request from it answers 429 until the window ends.
UNKNOWN_LINK_LIMIT = 10
UNKNOWN_LINK_WINDOW_SECONDS = 300
# The same window at the edge, over every request to a customer route (WAF cannot tell known
# tokens from unknown): a customer's whole reschedule is 5-40 requests (the page refreshes
# every 2 s while confirming), so 100 leaves room for a few customers behind one carrier NAT
# while a guesser is stopped before Lambda runs at ten times the application's limit.
WAF_LINK_RATE_LIMIT = 10 * UNKNOWN_LINK_LIMIT
WAF_LINK_WINDOW_SECONDS = UNKNOWN_LINK_WINDOW_SECONDS
# Customer routes as WAF sees the path: on a custom domain, and on the default execute-api
# domain, where the stage comes first.
CUSTOMER_ROUTE_PREFIXES = ("/r/", f"/{STAGE_NAME}/r/")
TOO_MANY_REQUESTS_BODY = "too-many-requests"

PUBLIC_ROUTE_REASON = (
    "Customer link routes are opened from an SMS on a phone, with no account: the path's "
    "link token is a bearer secret, stored hashed and checked (existence, expiry, state) in "
    "the portal function."
)
WEBHOOK_REASON = (
    "Twilio calls this route without AWS credentials; the webhooks function verifies the "
    "X-Twilio-Signature header (HMAC of the URL and parameters with the account's auth token) "
    "and rejects unsigned requests."
)
PROVIDER_WEBHOOK_REASON = (
    "Scheduling providers (Google, Microsoft Graph, ServiceTitan) call this route without AWS "
    "credentials; the business's provider adapter verifies each request (channel token, "
    "client state or HMAC signature) and rejects unverified ones with 401/403."
)
HEALTH_REASON = "Unauthenticated health check: a mock integration returning a static body."
SIGN_UP_REASON = (
    "Sign-up comes before any account: the handler validates the business, writes it only "
    "with its admin's account, and the identity provider emails that admin (only the email's "
    "owner can sign in); the WAF rate limit applies."
)
OAUTH_CALLBACK_REASON = (
    "The OAuth redirect target: the provider sends the admin's browser back here without "
    "our token. The single-use state (random, 10 minutes, bound to the business and admin) "
    "and the PKCE verifier kept server-side authenticate the request; an unknown, used or "
    "expired state writes nothing."
)
PREFLIGHT_REASON = (
    "CORS preflight (OPTIONS) requests never carry credentials (Fetch standard); these mock "
    "integrations only return the CORS headers, and every real method needs a Cognito token."
)
# Bearer tokens, no cookies: any origin may call, since a caller still needs a token.
CORS_HEADERS = ("Authorization", "Content-Type")


class Api(Construct):
    """The API's functions behind one REST API: send_link, session_actions, settings,
    dispatcher_api, dispatcher_move, portal, webhooks and provider_webhooks."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: LambdaFactory,
        app_table: dynamodb.ITable,
        provider_table: dynamodb.ITable,
        twilio_secret: secretsmanager.ISecret,
        user_pool: cognito.IUserPool,
        expiry: Expiry,
        confirm_state_machine: sfn.IStateMachine,
        public_base_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        tables = {
            "APP_TABLE_NAME": app_table.table_name,
            "PROVIDER_TABLE_NAME": provider_table.table_name,
        }

        self.send_link_function = functions.function(
            self,
            "SendLinkFunction",
            folder="send_link",
            description="POST /api/sessions: create a session and text the link",
            environment={
                **tables,
                "TWILIO_SECRET_ARN": twilio_secret.secret_arn,
                "EXPIRE_FUNCTION_ARN": expiry.expire_function.function_arn,
                "SCHEDULER_ROLE_ARN": expiry.scheduler_role.role_arn,
                "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
                "EXPIRY_DEAD_LETTER_QUEUE_ARN": expiry.dead_letter_queue.queue_arn,
                "PUBLIC_BASE_URL": public_base_url,
            },
            timeout=Duration.seconds(20),
        )
        app_table.grant_read_write_data(self.send_link_function)
        provider_table.grant_read_data(self.send_link_function)
        twilio_secret.grant_read(self.send_link_function)
        expiry.grant_create_schedules(self.send_link_function)
        # A link held back by quiet hours is sent by this same function when they end.
        self.send_link_function.grant_invoke(expiry.scheduler_role)
        nag.acknowledge_function_versions(expiry.scheduler_role, self.send_link_function)
        expiry.dead_letter_failed_runs(self.send_link_function)

        self.session_actions_function = functions.function(
            self,
            "SessionActionsFunction",
            folder="session_actions",
            description="POST /api/sessions/{id}/resend and /cancel",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "TWILIO_SECRET_ARN": twilio_secret.secret_arn,
                "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
                "PUBLIC_BASE_URL": public_base_url,
            },
            timeout=Duration.seconds(20),
        )
        app_table.grant_read_write_data(self.session_actions_function)
        twilio_secret.grant_read(self.session_actions_function)
        expiry.grant_delete_schedules(self.session_actions_function)

        self.settings_function = functions.function(
            self,
            "SettingsFunction",
            folder="settings",
            description="GET and PUT /api/settings: the business's settings",
            environment={"APP_TABLE_NAME": app_table.table_name},
        )
        app_table.grant_read_write_data(self.settings_function)

        self.team_function = functions.function(
            self,
            "TeamFunction",
            folder="team",
            description="POST /api/signup, GET/POST /api/team, DELETE /api/team/{email}",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "USER_POOL_ID": user_pool.user_pool_id,
            },
        )
        app_table.grant_read_write_data(self.team_function)
        self._connections(functions, app_table, public_base_url)
        # Accounts are made and removed by the function, never by the person (the console's
        # client cannot write a business or a role).
        user_pool.grant(
            self.team_function, "cognito-idp:AdminCreateUser", "cognito-idp:AdminDeleteUser"
        )

        self.dispatcher_api_function = functions.function(
            self,
            "DispatcherApiFunction",
            folder="dispatcher_api",
            description="GET customers, openings, sessions, timelines; check a move: read-only",
            environment={**tables, "PUBLIC_BASE_URL": public_base_url},
        )
        app_table.grant_read_data(self.dispatcher_api_function)
        provider_table.grant_read_data(self.dispatcher_api_function)

        # A dispatcher's move writes its session, closes the appointment's open link
        # (deleting its schedule) and starts the confirm workflow: its own function, so
        # the reads above keep read-only rights.
        self.dispatcher_move_function = functions.function(
            self,
            "DispatcherMoveFunction",
            folder="dispatcher_move",
            description="POST /api/appointments/{id}/move: a dispatcher moves it directly",
            environment={
                **tables,
                "PUBLIC_BASE_URL": public_base_url,
                "CONFIRM_STATE_MACHINE_ARN": confirm_state_machine.state_machine_arn,
                "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
            },
            timeout=Duration.seconds(20),
        )
        app_table.grant_read_write_data(self.dispatcher_move_function)
        provider_table.grant_read_data(self.dispatcher_move_function)
        confirm_state_machine.grant_start_execution(self.dispatcher_move_function)
        expiry.grant_delete_schedules(self.dispatcher_move_function)

        self.portal_function = functions.function(
            self,
            "PortalFunction",
            folder="portal",
            description="The customer page: GET /r/{token}, .ics; POST viewed, confirm, open, unlock",
            environment={
                **tables,
                "CONFIRM_STATE_MACHINE_ARN": confirm_state_machine.state_machine_arn,
                "UNKNOWN_LINK_LIMIT": str(UNKNOWN_LINK_LIMIT),
                "UNKNOWN_LINK_WINDOW_SECONDS": str(UNKNOWN_LINK_WINDOW_SECONDS),
            },
            timeout=Duration.seconds(15),
            # The customer's first tap must not wait for a cold start: the page's services
            # are built at init (functions/portal/handler.py) and snapshotted.
            snap_start=True,
        )
        self.portal_alias = live_alias(self.portal_function)
        app_table.grant_read_write_data(self.portal_function)
        provider_table.grant_read_data(self.portal_function)
        confirm_state_machine.grant_start_execution(self.portal_function)

        self.webhooks_function = functions.function(
            self,
            "WebhooksFunction",
            folder="webhooks",
            description="POST /webhooks/twilio/status and /inbound: Twilio's signed webhooks",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "TWILIO_SECRET_ARN": twilio_secret.secret_arn,
                "PUBLIC_BASE_URL": public_base_url,
            },
        )
        app_table.grant_read_write_data(self.webhooks_function)
        twilio_secret.grant_read(self.webhooks_function)

        self.provider_webhooks_function = functions.function(
            self,
            "ProviderWebhooksFunction",
            folder="provider_webhooks",
            description="POST /webhooks/providers/{provider}: scheduling providers' notifications",
            environment={
                **tables,
                "SCHEDULE_GROUP_NAME": expiry.schedule_group_name,
                "SEND_LINK_FUNCTION_NAME": self.send_link_function.function_name,
                "PUBLIC_BASE_URL": public_base_url,
            },
            timeout=Duration.seconds(20),
        )
        app_table.grant_read_write_data(self.provider_webhooks_function)
        provider_table.grant_read_data(self.provider_webhooks_function)
        expiry.grant_delete_schedules(self.provider_webhooks_function)
        # Links the provider triggered, for businesses that send them automatically.
        self.send_link_function.grant_invoke(self.provider_webhooks_function)
        nag.acknowledge_function_versions(self.provider_webhooks_function, self.send_link_function)
        # The functions that call the business's scheduling provider.
        for function in (
            self.send_link_function,
            self.dispatcher_api_function,
            self.portal_function,
            self.provider_webhooks_function,
            self.dispatcher_move_function,
        ):
            grant_provider_secrets(function)
            nag.acknowledge_table_indexes(function, app_table, provider_table)
        nag.acknowledge_table_indexes(self.webhooks_function, app_table)
        nag.acknowledge_table_indexes(self.session_actions_function, app_table)
        nag.acknowledge_table_indexes(self.settings_function, app_table)
        nag.acknowledge_table_indexes(self.team_function, app_table)
        nag.acknowledge_table_indexes(self.connections_function, app_table)

        self.rest_api = self._rest_api()
        self._routes(user_pool)
        self.web_acl = self._web_acl()

    def _connections(
        self, functions: LambdaFactory, app_table: dynamodb.ITable, public_base_url: str
    ) -> None:
        """The connections function, the product's OAuth registrations (a secret the stack
        creates; operators put each provider's client id and secret in it), and the rights
        to write each business's provider secret under the providers' prefix."""
        self.oauth_apps_secret = secretsmanager.Secret(
            self,
            "OAuthAppsSecret",
            description="Reschedule Dispatch's OAuth registrations: google_calendar_client_id, "
            "google_calendar_client_secret",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(
                    {"google_calendar_client_id": "replace-with-client-id"}
                ),
                generate_string_key="google_calendar_client_secret",
                exclude_punctuation=True,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            self.oauth_apps_secret,
            "SMG4",
            "Third-party credential: Google issues the OAuth client secret and only its "
            "console can rotate it; operators rotate it there and update the secret.",
        )
        self.connections_function = functions.function(
            self,
            "ConnectionsFunction",
            folder="connections",
            description="POST /api/connections/{kind}/start, GET callback, DELETE: OAuth connect",
            environment={
                "APP_TABLE_NAME": app_table.table_name,
                "OAUTH_APPS_SECRET_ARN": self.oauth_apps_secret.secret_arn,
                "PUBLIC_BASE_URL": public_base_url,
            },
        )
        app_table.grant_read_write_data(self.connections_function)
        self.oauth_apps_secret.grant_read(self.connections_function)
        grant_provider_secrets(self.connections_function)
        grant_provider_secret_writes(self.connections_function)

    @property
    def url(self) -> str:
        """The prod stage's invoke URL."""
        return self.rest_api.url

    def _rest_api(self) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name="reschedule-dispatch",
            description="Reschedule Dispatch: dispatcher API, customer links, Twilio webhooks",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                # Off: API Gateway's own X-Ray segment records the full URL, and a customer's
                # link token with it. The functions still trace (Tracing.ACTIVE).
                tracing_enabled=False,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # bodies carry phone numbers and link tokens
                metrics_enabled=True,
                throttling_rate_limit=THROTTLING_RATE_LIMIT,
                throttling_burst_limit=THROTTLING_BURST_LIMIT,
            ),
        )
        # The stack has its own ApiUrl output; drop the construct's hash-named duplicate.
        rest_api.node.try_remove_child("Endpoint")
        # The account-level role API Gateway writes execution logs with.
        cloud_watch_role = rest_api.node.find_child("CloudWatchRole")
        nag.acknowledge(
            cloud_watch_role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The AWS-managed policy is the documented way to let API Gateway write execution "
            "logs for the account; the role is assumable by apigateway.amazonaws.com only.",
        )
        return rest_api

    def _routes(self, user_pool: cognito.IUserPool) -> None:
        api = self.rest_api
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "DispatcherAuthorizer", cognito_user_pools=[user_pool]
        )
        # Required path parameters are checked at the edge. No method declares a body model,
        # so bodies pass through and the handlers validate them (pydantic, clear 4xx).
        validator = api.add_request_validator(
            "RequestValidator", validate_request_parameters=True, validate_request_body=True
        )

        def dispatcher(
            resource: apigw.IResource, verb: str, function: lambda_.IFunction, *params: str
        ) -> apigw.Method:
            return resource.add_method(
                verb,
                apigw.LambdaIntegration(function, allow_test_invoke=False),
                authorizer=authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=validator,
                request_parameters={f"method.request.path.{p}": True for p in params},
            )

        def public(
            resource: apigw.IResource,
            verb: str,
            function: lambda_.IFunction,  # a function, or an alias of one
            reason: str,
            *params: str,
        ) -> apigw.Method:
            method = resource.add_method(
                verb,
                apigw.LambdaIntegration(function, allow_test_invoke=False),
                authorization_type=apigw.AuthorizationType.NONE,
                request_validator=validator,
                request_parameters={f"method.request.path.{p}": True for p in params},
            )
            nag.acknowledge(method, "APIG4", reason)
            nag.acknowledge(method, "COG4", reason)
            return method

        # Dispatcher console (Cognito). The console is served from its own origin
        # (CloudFront), so browsers preflight; preflights carry no credentials by design.
        api_root = api.root.add_resource(
            "api",
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=apigw.Cors.ALL_ORIGINS,
                allow_headers=list(CORS_HEADERS),
                allow_methods=["GET", "POST", "PUT", "DELETE"],
                max_age=Duration.minutes(10),
            ),
        )
        dispatcher(api_root.add_resource("customers"), "GET", self.dispatcher_api_function)
        dispatcher(api_root.add_resource("me"), "GET", self.dispatcher_api_function)
        preview = api_root.add_resource("messages").add_resource("preview")
        dispatcher(preview, "POST", self.dispatcher_api_function)
        settings = api_root.add_resource("settings")
        for verb in ("GET", "PUT"):
            dispatcher(settings, verb, self.settings_function)
        openings = (
            api_root.add_resource("appointments").add_resource("{id}").add_resource("openings")
        )
        dispatcher(openings, "GET", self.dispatcher_api_function, "id")
        appointment = openings.parent_resource
        assert appointment is not None
        move = appointment.add_resource("move")
        dispatcher(move, "POST", self.dispatcher_move_function, "id")
        dispatcher(move.add_resource("check"), "POST", self.dispatcher_api_function, "id")
        timeline = appointment.add_resource("timeline")
        dispatcher(timeline, "GET", self.dispatcher_api_function, "id")
        dispatcher(api_root.add_resource("schedule"), "GET", self.dispatcher_api_function)
        sessions = api_root.add_resource("sessions")
        dispatcher(sessions, "POST", self.send_link_function)
        dispatcher(sessions, "GET", self.dispatcher_api_function)
        session = sessions.add_resource("{id}")
        dispatcher(session, "GET", self.dispatcher_api_function, "id")
        for action in ("resend", "cancel"):
            dispatcher(session.add_resource(action), "POST", self.session_actions_function, "id")
        suggestions = api_root.add_resource("suggestions")
        dispatcher(suggestions, "GET", self.dispatcher_api_function)
        dismiss = suggestions.add_resource("{id}").add_resource("dismiss")
        dispatcher(dismiss, "POST", self.session_actions_function, "id")
        dispatcher(api_root.add_resource("provider"), "GET", self.dispatcher_api_function)
        team = api_root.add_resource("team")
        for verb in ("GET", "POST"):
            dispatcher(team, verb, self.team_function)
        dispatcher(team.add_resource("{email}"), "DELETE", self.team_function, "email")
        # Sign-up: before there is an account, so no token; WAF's rate limit and the email the
        # identity provider sends (only its owner can sign in) are what stand in front of it.
        public(api_root.add_resource("signup"), "POST", self.team_function, SIGN_UP_REASON)
        # Connecting the business's calendar from Settings (OAuth 2 with PKCE): an admin
        # starts and disconnects; the provider sends the browser back to the callback.
        connections = api_root.add_resource("connections")
        dispatcher(connections, "DELETE", self.connections_function)
        start = connections.add_resource("{kind}").add_resource("start")
        dispatcher(start, "POST", self.connections_function, "kind")
        public(
            connections.add_resource("callback"),
            "GET",
            self.connections_function,
            OAUTH_CALLBACK_REASON,
        )

        # Customer link (bearer token in the path)
        link = api.root.add_resource("r").add_resource("{token}")
        public(link, "GET", self.portal_alias, PUBLIC_ROUTE_REASON, "token")
        for action in ("viewed", "confirm", "open", "unlock"):
            public(
                link.add_resource(action),
                "POST",
                self.portal_alias,
                PUBLIC_ROUTE_REASON,
                "token",
            )
        calendar = link.add_resource("calendar.ics")
        public(calendar, "GET", self.portal_alias, PUBLIC_ROUTE_REASON, "token")
        # A dispatcher's move's invitation: /r/invite/{token}.ics (the token, hashed, is the
        # credential; a static segment wins over {token} in API Gateway).
        invite = api.root.get_resource("r")
        assert invite is not None
        public(
            invite.add_resource("invite").add_resource("{token}"),
            "GET",
            self.portal_alias,
            PUBLIC_ROUTE_REASON,
            "token",
        )

        # Twilio callbacks (signature checked in code)
        webhooks = api.root.add_resource("webhooks")
        twilio = webhooks.add_resource("twilio")
        for hook in ("status", "inbound"):
            public(twilio.add_resource(hook), "POST", self.webhooks_function, WEBHOOK_REASON)
        # Scheduling providers' notifications (verified in code by the business's adapter)
        provider_hook = webhooks.add_resource("providers").add_resource("{provider}")
        public(
            provider_hook,
            "POST",
            self.provider_webhooks_function,
            PROVIDER_WEBHOOK_REASON,
            "provider",
        )

        # Health check
        health = api.root.add_resource("health").add_method(
            "GET",
            apigw.MockIntegration(
                request_templates={"application/json": '{"statusCode": 200}'},
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="200",
                        response_templates={"application/json": '{"status":"ok"}'},
                    )
                ],
            ),
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[apigw.MethodResponse(status_code="200")],
        )
        for construct in api_root.node.find_all():
            if isinstance(construct, apigw.Method) and construct.http_method == "OPTIONS":
                nag.acknowledge(construct, "APIG4", PREFLIGHT_REASON)
                nag.acknowledge(construct, "COG4", PREFLIGHT_REASON)
        nag.acknowledge(health, "APIG4", HEALTH_REASON)
        nag.acknowledge(health, "COG4", HEALTH_REASON)

    def _web_acl(self) -> wafv2.CfnWebACL:
        acl = wafv2.CfnWebACL  # its property types, for short

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return acl.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=name,
                # Off: a sampled request keeps its URI, and /r/{token} is a credential.
                sampled_requests_enabled=False,
            )

        def path_starts_with(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
            return acl.StatementProperty(
                byte_match_statement=acl.ByteMatchStatementProperty(
                    field_to_match=acl.FieldToMatchProperty(uri_path={}),
                    positional_constraint="STARTS_WITH",
                    search_string=prefix,
                    # As API Gateway routes it: %72 is r, //r/ is /r/.
                    text_transformations=[
                        acl.TextTransformationProperty(priority=0, type="URL_DECODE"),
                        acl.TextTransformationProperty(priority=1, type="NORMALIZE_PATH"),
                    ],
                )
            )

        web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            description=(
                "Reschedule Dispatch API: AWS common rule set, a per-IP rate limit, and a "
                "tighter one on the customer link routes"
            ),
            scope="REGIONAL",
            default_action=acl.DefaultActionProperty(allow={}),
            visibility_config=visibility("RescheduleDispatchApi"),
            rules=[
                acl.RuleProperty(
                    name="AWSManagedRulesCommonRuleSet",
                    priority=0,
                    override_action=acl.OverrideActionProperty(none={}),
                    statement=acl.StatementProperty(
                        managed_rule_group_statement=acl.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name="AWSManagedRulesCommonRuleSet"
                        )
                    ),
                    visibility_config=visibility("AWSManagedRulesCommonRuleSet"),
                ),
                acl.RuleProperty(
                    name="RateLimitPerIp",
                    priority=1,
                    action=acl.RuleActionProperty(block={}),
                    statement=acl.StatementProperty(
                        rate_based_statement=acl.RateBasedStatementProperty(
                            limit=WAF_RATE_LIMIT, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=visibility("RateLimitPerIp"),
                ),
                acl.RuleProperty(
                    name="CustomerLinksRatePerIp",
                    priority=2,
                    action=acl.RuleActionProperty(
                        block=acl.BlockActionProperty(
                            custom_response=acl.CustomResponseProperty(
                                response_code=429,
                                custom_response_body_key=TOO_MANY_REQUESTS_BODY,
                                response_headers=[
                                    acl.CustomHTTPHeaderProperty(
                                        name="Retry-After", value=str(WAF_LINK_WINDOW_SECONDS)
                                    )
                                ],
                            )
                        )
                    ),
                    statement=acl.StatementProperty(
                        rate_based_statement=acl.RateBasedStatementProperty(
                            limit=WAF_LINK_RATE_LIMIT,
                            evaluation_window_sec=WAF_LINK_WINDOW_SECONDS,
                            aggregate_key_type="IP",
                            scope_down_statement=acl.StatementProperty(
                                or_statement=acl.OrStatementProperty(
                                    statements=[
                                        path_starts_with(prefix)
                                        for prefix in CUSTOMER_ROUTE_PREFIXES
                                    ]
                                )
                            ),
                        )
                    ),
                    visibility_config=visibility("CustomerLinksRatePerIp"),
                ),
            ],
            custom_response_bodies={
                TOO_MANY_REQUESTS_BODY: acl.CustomResponseBodyProperty(
                    content_type="TEXT_HTML",
                    content=(
                        "<!doctype html><meta charset=utf-8><title>Too many tries</title>"
                        "<p>Too many requests came from here. Wait a few minutes, then open the "
                        "link from your text message again.</p>"
                    ),
                )
            },
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=web_acl.attr_arn,
        )
        return web_acl
