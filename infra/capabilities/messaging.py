"""Messaging: the Twilio credentials the SMS sender and the webhook signature check use."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import nag


class Messaging(Construct):
    """The Secrets Manager secret holding ``{"account_sid", "auth_token"}`` for Twilio.

    The stack creates it with a placeholder account SID and a random token; the operator puts
    the real Twilio credentials in after the first deploy (docs/infra.md).
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.twilio_secret = secretsmanager.Secret(
            self,
            "TwilioSecret",
            description="Twilio credentials for Reschedule Dispatch: account_sid, auth_token",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"account_sid": "replace-with-account-sid"}),
                generate_string_key="auth_token",
                exclude_punctuation=True,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            self.twilio_secret,
            "SMG4",
            "Third-party credential: Twilio issues the auth token and only Twilio's console can "
            "rotate it, so a Secrets Manager rotation Lambda cannot. Operators rotate it in "
            "Twilio and update the secret (docs/infra.md).",
        )
