"""Messaging: the credentials of the SMS (Twilio), email (SendGrid) and staff (Slack) channels."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import nag


class Messaging(Construct):
    """One Secrets Manager secret per messaging provider, each created with placeholders.

    Twilio holds ``{"account_sid", "auth_token"}``, SendGrid ``{"api_key"}`` and Slack
    ``{"bot_token"}``; the operator puts the real values in after the first deploy
    (docs/infra.md). Functions get a secret's ARN in their environment only with its grant.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.twilio_secret = self._secret(
            "TwilioSecret", "Twilio", {"account_sid": "replace-with-account-sid"}, "auth_token"
        )
        self.sendgrid_secret = self._secret("SendGridSecret", "SendGrid", {}, "api_key")
        self.slack_secret = self._secret("SlackSecret", "Slack", {}, "bot_token")

    def use_email(self, *functions: lambda_.Function) -> None:
        """These functions may email customers through SendGrid."""
        for function in functions:
            function.add_environment("SENDGRID_SECRET_ARN", self.sendgrid_secret.secret_arn)
            self.sendgrid_secret.grant_read(function)

    def use_slack(self, *functions: lambda_.Function, console_url: str) -> None:
        """These functions may tell staff in Slack, linking to the console when its URL is
        known at synth time (context `consoleUrl`)."""
        for function in functions:
            function.add_environment("SLACK_SECRET_ARN", self.slack_secret.secret_arn)
            function.add_environment("CONSOLE_URL", console_url)
            self.slack_secret.grant_read(function)

    def _secret(
        self, construct_id: str, vendor: str, template: dict[str, str], generated_key: str
    ) -> secretsmanager.Secret:
        keys = ", ".join([*template, generated_key])
        secret = secretsmanager.Secret(
            self,
            construct_id,
            description=f"{vendor} credentials for Reschedule Dispatch: {keys}",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(template),
                generate_string_key=generated_key,
                exclude_punctuation=True,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            secret,
            "SMG4",
            f"Third-party credential: {vendor} issues it and only {vendor}'s console can "
            "rotate it, so a Secrets Manager rotation Lambda cannot. Operators rotate it at "
            f"{vendor} and update the secret (docs/infra.md).",
        )
        return secret
