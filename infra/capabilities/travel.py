"""Travel times: offline by default; an Amazon Location route calculator when chosen.

`cdk.json` context `travelModel`: "haversine" (the default, no AWS resource: the documented
offline model) or "amazon-location" (a route calculator; the functions that compute openings
call CalculateRouteMatrix on it, cache the answers, and fall back to the offline model; the
functions that write the schedule mirror ask it for the drives between each technician's
stops, which the mirror keeps so that pages need not).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_location as location
from constructs import Construct

TRAVEL_MODELS = ("haversine", "amazon-location")
CALCULATOR_NAME = "reschedule-dispatch-routes"


class Travel(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, model: str) -> None:
        super().__init__(scope, construct_id)
        if model not in TRAVEL_MODELS:
            raise ValueError(f"travelModel must be one of {TRAVEL_MODELS}, not {model!r}")
        self.calculator: location.CfnRouteCalculator | None = None
        if model == "amazon-location":
            self.calculator = location.CfnRouteCalculator(
                self,
                "RouteCalculator",
                calculator_name=CALCULATOR_NAME,
                data_source="Esri",
                description="Drive times between technicians' stops and customers",
            )

    def use_from(self, function: lambda_.Function) -> None:
        """Lets a function use the route calculator, if there is one."""
        if self.calculator is None:
            return
        function.add_environment("ROUTE_CALCULATOR_NAME", CALCULATOR_NAME)
        stack = Stack.of(self)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["geo:CalculateRouteMatrix"],
                resources=[
                    stack.format_arn(
                        service="geo", resource="route-calculator", resource_name=CALCULATOR_NAME
                    )
                ],
            )
        )
