"""The built-in demo scheduling provider, backed by DynamoDB, with versioned appointments.

Items live in the business's partition (`BUSINESS#{id}`): `CUSTOMER#{id}`, `TECHNICIAN#{id}`,
`APPOINTMENT#{id}`, `BLOCKED#{id}`. gsi1 lists a technician's appointments and blocked times
by start, gsi2 a customer's appointments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import (
    all_items,
    from_item,
    is_condition_failure,
    to_item,
)
from reschedule_dispatch.adapters.provider_reads import AppointmentsFromSchedule, matches
from reschedule_dispatch.domain.errors import AppointmentChanged, NotFound
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Busy,
    Customer,
    Technician,
)
from reschedule_dispatch.domain.session import Opening


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class DemoProvider(AppointmentsFromSchedule):
    def __init__(self, table: Any) -> None:
        self._table = table

    # Writing (seeding) -------------------------------------------------------------------

    def put_customer(self, customer: Customer) -> None:
        self._put(customer.business_id, f"CUSTOMER#{customer.id}", customer.model_dump(mode="json"))

    def put_technician(self, technician: Technician) -> None:
        self._put(
            technician.business_id,
            f"TECHNICIAN#{technician.id}",
            technician.model_dump(mode="json"),
        )

    def put_appointment(self, appointment: Appointment) -> None:
        self._put(
            appointment.business_id,
            f"APPOINTMENT#{appointment.id}",
            {**appointment.model_dump(mode="json"), **self._index_keys(appointment)},
        )

    def put_blocked_time(self, blocked: BlockedTime) -> None:
        sort = f"{_utc(blocked.start)}#{blocked.id}"
        self._put(
            blocked.business_id,
            f"BLOCKED#{blocked.id}",
            {
                **blocked.model_dump(mode="json"),
                "gsi1pk": f"TECHNICIAN#{blocked.business_id}#{blocked.technician_id}",
                "gsi1sk": sort,
            },
        )

    # The provider port ---------------------------------------------------------------------

    def technicians(self, business_id: str) -> Sequence[Technician]:
        return [
            Technician.model_validate(item)
            for item in self._query_partition(business_id, "TECHNICIAN#")
        ]

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        found = [c for c in self._customers(business_id) if matches(c, query)]
        return sorted(found, key=lambda c: c.name)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        return Customer.model_validate(self._get(business_id, f"CUSTOMER#{customer_id}"))

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        items = self._query_index(
            "gsi2",
            Key("gsi2pk").eq(f"CUSTOMER#{business_id}#{customer_id}")
            & Key("gsi2sk").gt(_utc(after)),
        )
        return [a for a in items if a.status == "scheduled"]

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        return Appointment.model_validate(self._get(business_id, f"APPOINTMENT#{appointment_id}"))

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        return Technician.model_validate(self._get(business_id, f"TECHNICIAN#{technician_id}"))

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        # Nothing lasts more than a day, so whatever overlaps [start, end) starts after
        # start - 1 day; the overlap test below trims the rest.
        found: list[Busy] = []
        for item in self._query_items(
            "gsi1",
            Key("gsi1pk").eq(f"TECHNICIAN#{business_id}#{technician_id}")
            & Key("gsi1sk").between(_utc(start - timedelta(days=1)), _utc(end)),
        ):
            busy: Busy
            if str(item["sk"]).startswith("BLOCKED#"):
                busy = BlockedTime.model_validate(item)
            else:
                busy = Appointment.model_validate(item)
                if busy.status != "scheduled":
                    continue
            if busy.overlaps(start, end):
                found.append(busy)
        return found

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        moved = appointment.model_copy(
            update={
                "start": opening.start,
                "end": opening.end,
                "technician_id": opening.technician_id,
                "version": int(appointment.version) + 1,
            }
        )
        index = self._index_keys(moved)
        try:
            self._table.update_item(
                Key={
                    "pk": f"BUSINESS#{appointment.business_id}",
                    "sk": f"APPOINTMENT#{appointment.id}",
                },
                UpdateExpression=(
                    "SET #start = :start, #end = :end, technician_id = :tech, version = :next, "
                    "gsi1pk = :g1pk, gsi1sk = :g1sk, gsi2sk = :g2sk, last_move_key = :key"
                ),
                ConditionExpression="version = :expected",
                ExpressionAttributeNames={"#start": "start", "#end": "end"},
                ExpressionAttributeValues={
                    ":start": _json(moved)["start"],
                    ":end": _json(moved)["end"],
                    ":tech": moved.technician_id,
                    ":next": moved.version,
                    ":expected": appointment.version,
                    ":g1pk": index["gsi1pk"],
                    ":g1sk": index["gsi1sk"],
                    ":g2sk": index["gsi2sk"],
                    ":key": idempotency_key,
                },
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            current = self._get(appointment.business_id, f"APPOINTMENT#{appointment.id}")
            if current.get("last_move_key") == idempotency_key:
                return Appointment.model_validate(current)  # our own earlier move
            raise AppointmentChanged("The appointment changed elsewhere.") from None
        return moved

    # Internals -----------------------------------------------------------------------------

    @staticmethod
    def _index_keys(appointment: Appointment) -> dict[str, str]:
        sort = f"{_utc(appointment.start)}#{appointment.id}"
        return {
            "gsi1pk": f"TECHNICIAN#{appointment.business_id}#{appointment.technician_id}",
            "gsi1sk": sort,
            "gsi2pk": f"CUSTOMER#{appointment.business_id}#{appointment.customer_id}",
            "gsi2sk": sort,
        }

    def _customers(self, business_id: str) -> list[Customer]:
        return [Customer.model_validate(i) for i in self._query_partition(business_id, "CUSTOMER#")]

    def _query_index(self, index: str, condition: Any) -> list[Appointment]:
        return [Appointment.model_validate(i) for i in self._query_items(index, condition)]

    def _query_partition(self, business_id: str, prefix: str) -> list[dict[str, Any]]:
        return self._query_items(
            None, Key("pk").eq(f"BUSINESS#{business_id}") & Key("sk").begins_with(prefix)
        )

    def _query_items(self, index: str | None, condition: Any) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition}
        if index:
            kwargs["IndexName"] = index
        return [from_item(item) for item in all_items(self._table.query, **kwargs)]

    def _get(self, business_id: str, sk: str) -> dict[str, Any]:
        item = self._table.get_item(
            Key={"pk": f"BUSINESS#{business_id}", "sk": sk}, ConsistentRead=True
        ).get("Item")
        if not item:
            kind = sk.split("#", 1)[0].capitalize()
            raise NotFound(f"{kind} not found.")
        return from_item(item)

    def _put(self, business_id: str, sk: str, data: dict[str, Any]) -> None:
        self._table.put_item(Item=to_item({"pk": f"BUSINESS#{business_id}", "sk": sk, **data}))


def _json(appointment: Appointment) -> dict[str, Any]:
    return appointment.model_dump(mode="json")
