"""The one way this app makes a Lambda function (see docs/contract.md, "Functions").

Every function: Python 3.13 on arm64, X-Ray active, its own log group with retention, its own
role (log writing granted on that log group only, no managed policies), the shared and the
dependency layers, and CloudFormation metadata ``reschedule:source = functions/<folder>`` that
the local stack uses to find the handler.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Annotations, CfnResource, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import nag
from infra.build_assets import DEPS_LAYER_DIR, REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"
SHARED_LAYER_DIR = REPO_ROOT / "layers" / "shared"

SOURCE_METADATA_KEY = "reschedule:source"
METRICS_NAMESPACE = "RescheduleDispatch"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
MEMORY_MB = 512
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ASSET_EXCLUDES = ["**/__pycache__", "__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache"]


def ignore_redundant_depends_on(resource: CfnResource) -> None:
    """Tell cfn-lint that W3005 (DependsOn already implied by GetAtt) is expected here.

    CDK makes a function (or state machine) depend on its whole role construct, so the role
    and its default policy, and also references the role with GetAtt. The policy dependency
    matters (permissions exist before the first invocation); the role one is redundant.
    """
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})


class LambdaFactory(Construct):
    """Holds the two layers and builds every function of the app the same way."""

    def __init__(self, scope: Construct, construct_id: str, *, log_level: str = "INFO") -> None:
        super().__init__(scope, construct_id)
        self._log_level = log_level
        # Every function built so far, in order: what the alarms and the dashboard watch.
        self.built: list[lambda_.Function] = []
        if not (DEPS_LAYER_DIR / "python").is_dir():
            raise FileNotFoundError(
                f"{DEPS_LAYER_DIR / 'python'} is missing: run `python infra/build_assets.py` "
                "(or `make synth`) to build the dependency layer first"
            )
        self.shared_layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=lambda_.Code.from_asset(str(SHARED_LAYER_DIR), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="reschedule_dispatch: domain, services and adapters",
        )
        self.deps_layer = lambda_.LayerVersion(
            self,
            "DepsLayer",
            code=lambda_.Code.from_asset(str(DEPS_LAYER_DIR), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Third-party runtime dependencies (uv.lock, arm64 wheels)",
        )

    def function(
        self,
        scope: Construct,
        construct_id: str,
        *,
        folder: str,
        description: str,
        environment: Mapping[str, str],
        module: str = "handler",
        timeout: Duration | None = None,
        snap_start: bool = False,
    ) -> lambda_.Function:
        """A function running ``functions/<folder>/<module>.py``'s ``lambda_handler``.

        Its service (Powertools' service name, the metrics' dimension) is the folder, or
        ``<folder>_<module>`` for a folder of several functions (``confirm_hold``). The log
        group and the role are created beside the function in scope, as ``<construct_id>Logs``
        and ``<construct_id>Role``. With ``snap_start``, its published versions start from a
        snapshot of their initialized runtime (call it through `live_alias`).
        """
        code_dir = FUNCTIONS_DIR / folder
        if not code_dir.is_dir():
            raise FileNotFoundError(f"{code_dir} does not exist")
        service = folder if module == "handler" else f"{folder}_{module}"

        log_group = logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of the {service} function",
        )
        log_group.grant_write(role)

        function = lambda_.Function(
            scope,
            construct_id,
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(code_dir), exclude=ASSET_EXCLUDES),
            handler=f"{module}.lambda_handler",
            memory_size=MEMORY_MB,
            timeout=timeout or Duration.seconds(10),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
            layers=[self.shared_layer, self.deps_layer],
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            # Old versions go when a new one is published (no pile of snapshots to pay for).
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY)
            if snap_start
            else None,
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": self._log_level,
                # No pydantic plugins here: without this pydantic reads every installed
                # package's metadata looking for one as it builds the first model.
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
                # Traces keep no handler responses: a page or a send's answer carries a
                # customer's link, and X-Ray is not masked like the logs (docs/security.md).
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
                **environment,
            },
        )
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.add_metadata(SOURCE_METADATA_KEY, f"functions/{folder}")
        ignore_redundant_depends_on(cfn_function)

        nag.acknowledge(
            function,
            "L1",
            "Python 3.13 is the runtime the contract pins: the dependency layer is built from "
            "cp313 arm64 wheels and the handlers are tested on it. Moving to a newer runtime is "
            "a deliberate upgrade of the contract, the layer build and this factory together.",
        )
        nag.acknowledge_wildcard_resource(
            role,
            "*",
            "X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and "
            "xray:PutTelemetryRecords, which support no resource-level permissions.",
        )
        if snap_start:
            Annotations.of(function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "Its versions are published by live_alias (current_version), which callers use.",
            )
        self.built.append(function)
        return function


def live_alias(function: lambda_.Function) -> lambda_.Alias:
    """The `live` alias on the function's current version: what API Gateway calls, so a
    SnapStart function is always entered from its published snapshot."""
    return lambda_.Alias(function, "Live", alias_name="live", version=function.current_version)
