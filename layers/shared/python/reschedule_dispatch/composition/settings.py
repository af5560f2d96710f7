"""Each function's settings, read from its environment variables (see environment.py).

One model per function family; the shared parts (a table, Twilio, SendGrid, Slack) are
mixins, so a family's model says in one line what the function needs.
"""

from __future__ import annotations

from reschedule_dispatch.domain.guessing import UNKNOWN_LINKS_PER_WINDOW, WINDOW_SECONDS
from reschedule_dispatch.environment import EnvSettings


class AppEnv(EnvSettings):
    app_table_name: str


class ProviderEnv(AppEnv):
    provider_table_name: str
    # Amazon Location route calculator for drive times; unset: the offline model.
    route_calculator_name: str | None = None


class TwilioEnv(EnvSettings):
    twilio_secret_arn: str
    twilio_api_base_url: str | None = None  # the local sandbox; unset in AWS
    public_base_url: str = ""


class EmailEnv(EnvSettings):
    # Unset: the business's customers get no email (the drawer says so).
    sendgrid_secret_arn: str | None = None
    sendgrid_api_base_url: str | None = None  # the local sandbox; unset in AWS


class SlackEnv(EnvSettings):
    # Unset: no staff notifications, whatever the businesses' settings.
    slack_secret_arn: str | None = None
    slack_api_base_url: str | None = None  # the local sandbox; unset in AWS
    console_url: str = ""  # where notifications link to


class TeamEnv(AppEnv):
    """Sign-up and the team: the user pool whose accounts carry each person's business."""

    user_pool_id: str


class ConnectionsEnv(AppEnv):
    """Connecting from Settings: the product's OAuth registrations (a secret of the stack,
    `{"google_calendar_client_id", "google_calendar_client_secret"}`), where the browser returns, and
    the provider endpoints (unset in AWS: the real ones; locally the fakes')."""

    oauth_apps_secret_arn: str
    console_url: str = ""
    public_base_url: str = ""
    google_authorize_url: str | None = None
    google_token_url: str | None = None
    google_calendar_api_url: str | None = None


class CompensateEnv(AppEnv, SlackEnv):
    pass


class SendLinkEnv(ProviderEnv, TwilioEnv, EmailEnv):
    expire_function_arn: str
    scheduler_role_arn: str
    schedule_group_name: str
    expiry_dead_letter_queue_arn: str


class DispatcherEnv(ProviderEnv):
    # The preview's placeholder link must be as long as the SMS's real one.
    public_base_url: str = ""


class MoveEnv(DispatcherEnv):
    """The dispatcher API's move routes: they start the confirm workflow and close links."""

    confirm_state_machine_arn: str
    schedule_group_name: str


class PortalEnv(ProviderEnv):
    confirm_state_machine_arn: str
    # Link guessing (docs/security.md): unknown tokens one client may try per window.
    # (at least 1 each: GuessLimit refuses less)
    unknown_link_limit: int = UNKNOWN_LINKS_PER_WINDOW
    unknown_link_window_seconds: int = WINDOW_SECONDS


class FinalizeEnv(AppEnv, TwilioEnv, SlackEnv, EmailEnv):
    schedule_group_name: str


class WatchdogEnv(FinalizeEnv, ProviderEnv):
    pass


class SessionActionsEnv(AppEnv, TwilioEnv):
    schedule_group_name: str


class WebhooksEnv(AppEnv, TwilioEnv):
    pass


class ProviderWebhooksEnv(ProviderEnv):
    schedule_group_name: str
    # The send-link function, for businesses that send provider-triggered links themselves.
    send_link_function_name: str | None = None
    public_base_url: str = ""


class ProviderChannelsEnv(ProviderEnv):
    # Where providers send notifications: the API's public origin (its custom domain, else
    # its execute-api URL with the stage).
    webhook_base_url: str
