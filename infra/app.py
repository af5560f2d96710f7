"""CDK app entry point: ``cdk synth`` runs ``python -m infra.app`` (see cdk.json).

cdk-nag's AwsSolutions pack validates the app at every synth; any unacknowledged finding
fails the synth (acknowledgments live next to the resources, see infra/nag.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from infra.capabilities.domain import LinkDomainSettings
from infra.stack import STACK_NAME, RescheduleDispatchStack


def build_app(context: Mapping[str, Any] | None = None) -> tuple[App, RescheduleDispatchStack]:
    """The app with its one stack and the cdk-nag checks registered; not yet synthesized."""
    app = App(context=dict(context) if context is not None else None)
    public_base_url = app.node.try_get_context("publicBaseUrl") or ""
    log_level = app.node.try_get_context("logLevel") or "INFO"
    travel_model = app.node.try_get_context("travelModel") or "haversine"
    alarm_email = app.node.try_get_context("alarmEmail") or ""
    stack = RescheduleDispatchStack(
        app,
        STACK_NAME,
        description="Reschedule Dispatch: text a customer a private link to move an appointment",
        public_base_url=str(public_base_url),
        log_level=str(log_level),
        travel_model=str(travel_model),
        alarm_email=str(alarm_email),
        # Optional: the API (customers' links) on the business's own domain.
        link_domain=LinkDomainSettings.from_context(app.node),
        analytics_reporting=False,
    )
    Tags.of(stack).add("Project", "RescheduleDispatch")
    # Acknowledgments are also written into each resource's Metadata (cdk_nag) as an audit
    # trail in the template.
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    )
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
