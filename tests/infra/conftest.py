"""Synthesize the CDK app once per test session (jsii makes a synth cost ~20-40 s)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, PolicyValidationPluginReport  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.app import build_app  # noqa: E402
from infra.build_assets import build_deps_layer  # noqa: E402
from infra.stack import RescheduleDispatchStack  # noqa: E402


@dataclass(frozen=True)
class Synthesized:
    app: App
    stack: RescheduleDispatchStack
    template: Template
    resources: dict[str, dict[str, Any]]
    nag_report: PolicyValidationPluginReport


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    # Given the dependency layer (skipped when current) and cdk.json's context, as `cdk synth`
    build_deps_layer()
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app, stack = build_app(context)

    # When the app is synthesized (cdk-nag runs as a validation plugin and fails the synth
    # on any unacknowledged finding) and checked again on the finished construct tree
    template = Template.from_stack(stack)
    nag_report = AwsSolutionsChecks().validate_scope(app)

    return Synthesized(
        app=app,
        stack=stack,
        template=template,
        resources=template.to_json()["Resources"],
        nag_report=nag_report,
    )
