"""Data: the app table and the demo scheduling provider's table (docs/contract.md, "Tables")."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


def _single_table(
    scope: Construct,
    construct_id: str,
    *,
    indexes: tuple[str, ...],
    removal_policy: RemovalPolicy,
    time_to_live_attribute: str | None = None,
) -> dynamodb.Table:
    """A single-table design table: pk/sk strings, one GSI ``<name>`` on ``<name>pk``/``<name>sk``
    for each index name."""
    string = dynamodb.AttributeType.STRING
    table = dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name="pk", type=string),
        sort_key=dynamodb.Attribute(name="sk", type=string),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        removal_policy=removal_policy,
        time_to_live_attribute=time_to_live_attribute,
    )
    for index in indexes:
        table.add_global_secondary_index(
            index_name=index,
            partition_key=dynamodb.Attribute(name=f"{index}pk", type=string),
            sort_key=dynamodb.Attribute(name=f"{index}sk", type=string),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table


class Data(Construct):
    """The two DynamoDB tables.

    app_table: businesses, sessions, links (token hashes), timeline events, message lookups;
      gsi1 = a business's sessions by creation time.
    provider_table: the demo scheduling provider's customers, technicians and appointments;
      gsi1 = a technician's appointments by start, gsi2 = a customer's appointments by start.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # TTL sweeps expired slot holds and remembered provider events (PROVIDER_EVENTS#);
        # every expiry rule is enforced in code.
        self.app_table = _single_table(
            self,
            "AppTable",
            indexes=("gsi1",),
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute="expires_at_epoch",
        )
        # Demo data only: it can be re-seeded, so it goes with the stack.
        self.provider_table = _single_table(
            self, "ProviderTable", indexes=("gsi1", "gsi2"), removal_policy=RemovalPolicy.DESTROY
        )
