"""The whole product on one machine: `make dev` runs this (`python -m local`).

One process: moto (DynamoDB, Step Functions with execution, Scheduler, Secrets Manager)
provisioned from the synthesized CDK template, the real handlers in-process, a local API
gateway for the template's routes, the Twilio sandbox, a scheduler pump and demo data.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from local.clock import LocalClock, next_business_hour, real_now
from local.cloud import MotoServer, provision, use_local_aws
from local.demo_data import demo_seed
from local.dev_auth import DevTokens
from local.dev_clock import DevClock
from local.gateway import LocalGateway, dated_by
from local.identities import PoolAccounts, provision_user_pool
from local.lambda_runtime import LocalLambdaRuntime
from local.provider_fakes import ProviderFakes
from local.provider_faults import FaultPlan, FaultyProvider
from local.sandbox_base import Sandbox, clock_text
from local.scheduler_pump import EveryInterval, SchedulerPump
from local.seed import Seed, business_of, load
from local.sendgrid_sandbox import SendGridSandbox
from local.slack_sandbox import SlackSandbox
from local.template import Template
from local.twilio_sandbox import TwilioSandbox
from reschedule_dispatch import composition
from reschedule_dispatch.composition.providers import ProviderWebhooks

logger = logging.getLogger("local")


@dataclass(frozen=True)
class StackConfig:
    port: int = 8000
    host: str = "127.0.0.1"
    cdk_out: Path = Path("cdk.out")
    seed_file: Path | None = None
    sms_step_seconds: float = 0.5
    scheduler_interval_seconds: float = 1.0
    # The schedule mirror's reconcile, as its EventBridge rule runs it in AWS.
    mirror_reconcile_seconds: float = 15 * 60
    # The session watchdog, as its rule runs it in AWS (every 5 minutes there).
    watchdog_seconds: float = 60
    # Where the clock starts (local/clock.py): "business-hours" (the real time, or the next
    # sensible hour for the seeded businesses when the real one is not: nights, weekends),
    # "real", or an ISO 8601 moment with its UTC offset.
    clock: str = "business-hours"
    # The machine's clock, which "business-hours" starts from (a test sets it).
    real: Callable[[], datetime] = real_now


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._server: BaseWSGIServer | None = None
        self._pump: SchedulerPump | None = None
        self._reconcile: EveryInterval | None = None
        self._watchdog: EveryInterval | None = None
        self._moto: MotoServer | None = None
        self._sandbox: TwilioSandbox | None = None
        self.gateway: LocalGateway | None = None
        self.clock = LocalClock()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.config.host}:{self._server.server_port}"

    def start(self) -> None:
        config = self.config
        template = Template.load(config.cdk_out)
        runtime = LocalLambdaRuntime(template.functions().values())

        self._moto = MotoServer(runtime, host=config.host)
        self._moto.start()
        use_local_aws(self._moto.endpoint)

        # The gateway's socket is bound first so the sandbox URL is known before handlers load.
        placeholder = _Deferred()
        self._server = make_server(
            config.host,
            config.port,
            placeholder,
            threaded=True,
            request_handler=dated_by(lambda: self.clock.now()),
        )
        base = f"http://{config.host}:{self._server.server_port}"
        os.environ.update(runtime.shared_environment())
        os.environ.update(
            {
                "TWILIO_API_BASE_URL": f"{base}/twilio",
                "SENDGRID_API_BASE_URL": f"{base}/sendgrid",
                "SLACK_API_BASE_URL": f"{base}/slack",
                # Connecting from Settings reaches the Google fake's consent page and token
                # endpoint (local/fakes/google_calendar.py).
                "GOOGLE_AUTHORIZE_URL": f"{base}/fakes/google/o/oauth2/v2/auth",
                "GOOGLE_TOKEN_URL": f"{base}/fakes/google/token",
                "GOOGLE_CALENDAR_API_URL": f"{base}/fakes/google/calendar/v3",
                "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
                "POWERTOOLS_METRICS_DISABLED": "true",  # keep the console readable
            }
        )

        account_sid = "AC" + secrets.token_hex(16)
        auth_token = secrets.token_hex(16)
        sendgrid_key, slack_token = "SG." + secrets.token_hex(16), "xoxb-" + secrets.token_hex(16)
        provision(
            template,
            {
                "TWILIO_SECRET_ARN": {"account_sid": account_sid, "auth_token": auth_token},
                "SENDGRID_SECRET_ARN": {"api_key": sendgrid_key},
                "SLACK_SECRET_ARN": {"bot_token": slack_token},
            },
        )
        seed = self.seed_and_clock()
        clock = self.clock
        dynamodb = boto3.resource("dynamodb")
        # Google Calendar, Outlook and ServiceTitan fakes keep the businesses seeded on them.
        self.providers = ProviderFakes(base, clock.now)
        # The product's own OAuth registration at each fake (AWS: the stack's secret).
        google = self.providers.by_kind["google_calendar"]
        boto3.client("secretsmanager").put_secret_value(
            SecretId=os.environ["OAUTH_APPS_SECRET_ARN"],
            SecretString=json.dumps(
                {
                    "google_calendar_client_id": google.client_id,  # type: ignore[attr-defined]
                    "google_calendar_client_secret": google.client_secret,  # type: ignore[attr-defined]
                }
            ),
        )
        load(
            seed,
            dynamodb.Table(os.environ["APP_TABLE_NAME"]),
            dynamodb.Table(os.environ["PROVIDER_TABLE_NAME"]),
            self.providers.keep,
        )
        self.faults = FaultPlan()
        # Every function reads this clock and calls providers through the fault plan: set
        # before their cold starts build the services.
        composition.start(
            clock=clock, wrap_provider=lambda provider: FaultyProvider(provider, self.faults)
        )
        runtime.cold_start_all()
        # After the cold starts, which set each function's template environment: the console
        # the notifications link to is this one, not CloudFront's.
        os.environ["CONSOLE_URL"] = f"{base}/console/"
        # The accounts: moto's Cognito pool, made from the template's; the seeded dispatchers
        # run their businesses (admins). The team function finds the pool by its id.
        cognito = boto3.client("cognito-idp")
        accounts = PoolAccounts(cognito, provision_user_pool(template, cognito))
        for email, claims in seed.dispatchers().items():
            accounts.add(email, {"custom:role": "admin", **claims})
        os.environ["USER_POOL_ID"] = accounts.pool_id

        # Fires due one-time schedules (moto never does); /dev/clock moves time through it.
        pump = self._pump = SchedulerPump(
            runtime.invoke, clock.now, interval_seconds=config.scheduler_interval_seconds
        )
        self._sandbox = TwilioSandbox(
            account_sid, auth_token, step_delay=config.sms_step_seconds, clock=clock.now
        )
        self.email = SendGridSandbox(sendgrid_key, clock=clock.now)
        self.slack = SlackSandbox(slack_token, clock=clock.now)
        sandboxes: list[Sandbox] = [
            DevClock(clock, pump),
            self._sandbox,
            self.email,
            self.slack,
            self.providers,
            *self.providers.fakes(),
        ]
        # What a verified provider webhook does, on demand (the demo provider sends none).
        provider_events = ProviderWebhooks().apply_event(base)
        self.gateway = LocalGateway(
            template.routes(),
            runtime,
            DevTokens(accounts),
            sandboxes,
            self.faults,
            provider_events,
            clock.now,
        )
        placeholder.app = self.gateway
        threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True).start()

        pump.start()
        # What the twice-daily rule does in AWS, once now: Google's channels and Graph's
        # subscriptions to this gateway (Graph's handshake calls it, so it must be serving).
        os.environ["WEBHOOK_BASE_URL"] = base
        functions = {spec.module: spec.name for spec in template.functions().values()}
        logger.info(
            "provider channels: %s",
            runtime.invoke(functions["functions.provider_channels.handler"], {}),
        )
        # What the reconcile rule does every 15 minutes in AWS, once now: every business's
        # schedule mirror filled, so every page reads it (the fakes' pushes keep it fresh).
        schedule_sync = functions["functions.schedule_sync.handler"]
        logger.info("schedule mirrors: %s", runtime.invoke(schedule_sync, {}))
        self._reconcile = EveryInterval(
            lambda: runtime.invoke(schedule_sync, {}),
            config.mirror_reconcile_seconds,
            name="mirror-reconcile",
        )
        self._reconcile.start()
        # What the watchdog rule does every 5 minutes in AWS: confirming sessions whose
        # workflow stopped are settled (its 2-minute grace is read on the stack's clock).
        watchdog = functions["functions.confirm.watchdog"]
        machine = {"state_machine_arn": os.environ["CONFIRM_STATE_MACHINE_ARN"]}  # its rule's
        self._watchdog = EveryInterval(
            lambda: runtime.invoke(watchdog, machine), config.watchdog_seconds, name="watchdog"
        )
        self._watchdog.start()
        self.gateway.ready.set()
        self._seed = seed

    def seed_and_clock(self) -> Seed:
        """The seed, and the clock set where `config.clock` says (the demo data is made
        for the clock's day, so the clock comes first)."""
        setting, seed_file = self.config.clock, self.config.seed_file
        seed = Seed.from_file(seed_file) if seed_file else None
        if setting == "real":
            self.clock = LocalClock(real=self.config.real)
        elif setting == "business-hours":
            real = self.config.real()
            shown = seed or Seed.model_validate(demo_seed(real.date()))
            start = next_business_hour(real, [business_of(b) for b in shown.businesses])
            self.clock = LocalClock(start if start != real else None, real=self.config.real)
        else:
            self.clock = LocalClock(datetime.fromisoformat(setting), real=self.config.real)
        return seed or Seed.model_validate(demo_seed(self.clock.now().date()))

    def banner(self) -> str:
        dispatchers = ", ".join(sorted(self._seed.dispatchers()))
        return "\n".join(
            [
                "",
                f"Reschedule Dispatch is running at {self.url}",
                self._clock_line(),
                f"  Dispatcher console:          {self.url}/console/",
                f"  Phone inboxes (SMS sandbox): {self.url}/dev/phone",
                f"  Mailboxes (email sandbox):   {self.url}/dev/inbox",
                f"  Staff channel (Slack):       {self.url}/dev/slack/page",
                f"  Dispatcher token:            curl '{self.url}/dev/token?dispatcher=<email>'",
                f"  Seeded dispatchers:          {dispatchers}",
                f"  API:                          {self.url}/api/customers?q=<name or phone> "
                "(Authorization: Bearer <token>)",
                f"  Health:                      {self.url}/health",
                f"  Clock (time travel):         {self.url}/dev/clock",
                f"  Provider faults (chaos):     {self.url}/dev/provider-faults",
                f"  Provider fakes (connections): {self.url}/dev/providers",
                *[
                    f"    {c.business_name} on {c.connection.name} (fake): "
                    + ", ".join(self._seed.dispatchers_of(c.business_id))
                    for c in self.providers.connected
                ],
                "Press Ctrl+C to stop.",
            ]
        )

    def _clock_line(self) -> str:
        if not self.clock.simulated:
            return "  Clock: the real time (POST /dev/clock to travel forward)"
        return f"  Clock: simulated, {clock_text(self.clock.now())} " + (
            "(the real hour is outside the seeded businesses' working day; "
            "LOCAL_CLOCK=real keeps the real one)"
            if self.config.clock == "business-hours"
            else f"(LOCAL_CLOCK={self.config.clock})"
        )

    def stop(self) -> None:
        for job in (self._reconcile, self._watchdog):
            if job:
                job.stop()
        if self._pump:
            self._pump.stop()
        if self._server:
            self._server.shutdown()
        if self._sandbox:
            self._sandbox.close()
        if self._moto:
            self._moto.stop()


class _Deferred:
    """A WSGI app that answers 503 until the real one is set."""

    def __init__(self) -> None:
        self.app: LocalGateway | None = None

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"status": "starting"}']
        return self.app(environ, start_response)
