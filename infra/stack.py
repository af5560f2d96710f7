"""The RescheduleDispatch stack: composes one construct per capability."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.capabilities.api import Api
from infra.capabilities.auth import Auth
from infra.capabilities.confirm_workflow import ConfirmWorkflow
from infra.capabilities.console import ConsoleHosting
from infra.capabilities.data import Data
from infra.capabilities.domain import LinkDomain, LinkDomainSettings, resolve_public_base_url
from infra.capabilities.expiry import Expiry
from infra.capabilities.messaging import Messaging
from infra.capabilities.observability import Observability
from infra.capabilities.providers import ProviderChannels, ScheduleMirrorSync
from infra.capabilities.travel import Travel
from infra.lambda_factory import LambdaFactory

STACK_NAME = "RescheduleDispatch"


class RescheduleDispatchStack(Stack):
    """Everything the product runs on, environment-agnostic (no account or region lookups)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str = STACK_NAME,
        *,
        public_base_url: str = "",
        log_level: str = "INFO",
        travel_model: str = "haversine",
        alarm_email: str = "",
        link_domain: LinkDomainSettings | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Links, Twilio's callbacks and the providers' channels use the link domain if any.
        public_base_url = resolve_public_base_url(public_base_url, link_domain)
        functions = LambdaFactory(self, "Functions", log_level=log_level)

        data = Data(self, "Data")
        messaging = Messaging(self, "Messaging")
        auth = Auth(self, "Auth")
        expiry = Expiry(self, "Expiry", functions=functions, app_table=data.app_table)
        confirm = ConfirmWorkflow(
            self,
            "ConfirmWorkflow",
            functions=functions,
            app_table=data.app_table,
            provider_table=data.provider_table,
            twilio_secret=messaging.twilio_secret,
            expiry=expiry,
            dead_letter_queue=expiry.dead_letter_queue,
        )
        api = Api(
            self,
            "Api",
            functions=functions,
            app_table=data.app_table,
            provider_table=data.provider_table,
            twilio_secret=messaging.twilio_secret,
            user_pool=auth.user_pool,
            expiry=expiry,
            confirm_state_machine=confirm.state_machine,
            public_base_url=public_base_url,
        )
        # The dispatcher console: CloudFront + S3, and the Cognito app client it signs in with.
        console = ConsoleHosting(self, "Console", api_url=api.url, auth=auth)
        # The link by email; a dispatcher's move's invitation (sent when the workflow ends).
        messaging.use_email(
            api.send_link_function, confirm.finalize_function, confirm.watchdog_function
        )
        # Not console.url: the distribution depends (CSP) on the API, which reaches these
        # functions through the state machine, a cycle. A custom domain is known up front.
        messaging.use_slack(
            confirm.finalize_function,
            confirm.compensate_function,
            confirm.watchdog_function,
            console_url=str(self.node.try_get_context("consoleUrl") or ""),
        )
        # Where a connection from Settings returns the admin (the same cycle as above).
        api.connections_function.add_environment(
            "CONSOLE_URL", str(self.node.try_get_context("consoleUrl") or "")
        )

        outputs = {
            "ConsoleUrl": console.url,
            "ApiUrl": api.url,
            "UserPoolId": auth.user_pool.user_pool_id,
            "UserPoolClientId": auth.console_client.user_pool_client_id,
            "AppTableName": data.app_table.table_name,
            "ProviderTableName": data.provider_table.table_name,
            "ConfirmStateMachineArn": confirm.state_machine.state_machine_arn,
            "TwilioSecretArn": messaging.twilio_secret.secret_arn,
            "SendGridSecretArn": messaging.sendgrid_secret.secret_arn,
            "SlackSecretArn": messaging.slack_secret.secret_arn,
            "ScheduleGroupName": expiry.schedule_group_name,
            # What an operator inspects and replays from (docs/infra.md, "Operations").
            "ExpiryDeadLetterQueueUrl": expiry.dead_letter_queue.queue_url,
            "ExpireFunctionName": expiry.expire_function.function_name,
            "SendLinkFunctionName": api.send_link_function.function_name,
        }
        if link_domain is not None:
            domain = LinkDomain(self, "LinkDomain", rest_api=api.rest_api, settings=link_domain)
            outputs["LinkBaseUrl"] = domain.url
            outputs["LinkDomainTarget"] = domain.target
        # Google's and Graph's push channels reach the API's public origin.
        channels = ProviderChannels(
            self,
            "ProviderChannels",
            functions=functions,
            app_table=data.app_table,
            provider_table=data.provider_table,
            webhook_base_url=public_base_url or api.url,
            dead_letter_queue=expiry.dead_letter_queue,
        )
        outputs["ProviderChannelsFunctionName"] = channels.function.function_name
        # Every person's read of a schedule reads the mirror; this keeps it in step.
        mirror = ScheduleMirrorSync(
            self,
            "ScheduleMirror",
            functions=functions,
            app_table=data.app_table,
            provider_table=data.provider_table,
            dead_letter_queue=expiry.dead_letter_queue,
        )
        outputs["ScheduleSyncFunctionName"] = mirror.function.function_name
        travel = Travel(self, "Travel", model=travel_model)
        for uses_routes in (
            # They compute openings and check moves...
            api.portal_function,
            api.dispatcher_api_function,
            api.dispatcher_move_function,
            # ...or write the schedule mirror, whose weeks keep the drives between stops.
            mirror.function,
            confirm.check_function,
            confirm.move_function,
            api.provider_webhooks_function,
        ):
            travel.use_from(uses_routes)
        # Alarms on every function, the workflow and the dead-letter queues; the dashboard.
        observability = Observability(
            self,
            "Observability",
            functions=functions.built,
            state_machine=confirm.state_machine,
            dead_letter_queues={"Expiry": expiry.dead_letter_queue},
            rest_api=api.rest_api,
            alarm_email=alarm_email,
        )
        outputs["AlarmTopicArn"] = observability.alarm_topic.topic_arn

        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
