"""The team in the app table.

- `TEAM#{business}`/`MEMBER#{email}`: a member (role, when and by whom added);
- `EMAIL#{email}`/`TEAM`: which business's team the email is on, so it is on one at most.

A business starts in one transaction with its profile and its number (the items
DynamoBusinessDirectory reads), so a refused sign-up leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import all_items, from_item, to_item, transact_write
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, NotFound
from reschedule_dispatch.domain.team import TeamMember

_ABSENT = "attribute_not_exists(pk)"


class DynamoTeam:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._client = table.meta.client

    def start_business(self, business: Business, admin: TeamMember) -> None:
        writes = [
            _put(_phone_item(business), _ABSENT),
            _put(_profile_item(business), _ABSENT),
            _put(_email_item(admin.email, business.id), _ABSENT),
            _put(_member_item(business.id, admin), None),
        ]
        try:
            self._transact(writes)
        except ClientError as error:
            taken = _failed_conditions(error)
            if 0 in taken:
                raise Conflict(f"{business.phone} is another business's number already.") from None
            if 2 in taken:
                raise Conflict(_on_a_team(admin.email)) from None
            if 1 in taken:
                raise Conflict("Try again: that business id was just taken.") from None
            raise

    def undo_start(self, business: Business, admin: TeamMember) -> None:
        for key in (
            {"pk": f"PHONE#{business.phone}", "sk": "BUSINESS"},
            {"pk": f"BUSINESS#{business.id}", "sk": "PROFILE"},
            {"pk": f"EMAIL#{admin.email}", "sk": "TEAM"},
            {"pk": f"TEAM#{business.id}", "sk": f"MEMBER#{admin.email}"},
        ):
            self._table.delete_item(Key=key)

    def add(self, business_id: str, member: TeamMember) -> None:
        writes = [
            _put(_email_item(member.email, business_id), _ABSENT),
            _put(_member_item(business_id, member), None),
        ]
        try:
            self._transact(writes)
        except ClientError as error:
            if 0 in _failed_conditions(error):
                raise Conflict(_on_a_team(member.email)) from None
            raise

    def remove(self, business_id: str, email: str) -> TeamMember:
        email = email.strip().lower()
        key = {"pk": f"TEAM#{business_id}", "sk": f"MEMBER#{email}"}
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"{email} is not on this business's team.")
        self._transact(
            [
                {"Delete": {"Key": key}},
                {
                    "Delete": {
                        "Key": {"pk": f"EMAIL#{email}", "sk": "TEAM"},
                        "ConditionExpression": "business_id = :business",
                        "ExpressionAttributeValues": {":business": business_id},
                    }
                },
            ]
        )
        return _member(item)

    def members(self, business_id: str) -> list[TeamMember]:
        items = all_items(
            self._table.query,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :member)",
            ExpressionAttributeValues={":pk": f"TEAM#{business_id}", ":member": "MEMBER#"},
            ConsistentRead=True,
        )
        return sorted((_member(i) for i in items), key=lambda m: m.email)

    def _transact(self, operations: list[dict[str, Any]]) -> None:
        for operation in operations:
            next(iter(operation.values()))["TableName"] = self._table.name
        transact_write(self._client, operations)


def _put(item: dict[str, Any], condition: str | None) -> dict[str, Any]:
    put: dict[str, Any] = {"Item": item}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _failed_conditions(error: ClientError) -> set[int]:
    """The positions in the transaction whose condition failed."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return set()
    reasons = error.response.get("CancellationReasons", [])
    return {i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"}


def _on_a_team(email: str) -> str:
    return f"{email} is on a business's team already: they can be on one at a time."


def _phone_item(business: Business) -> dict[str, Any]:
    return {"pk": f"PHONE#{business.phone}", "sk": "BUSINESS", "business_id": business.id}


def _profile_item(business: Business) -> dict[str, Any]:
    return to_item(
        {"pk": f"BUSINESS#{business.id}", "sk": "PROFILE", **business.model_dump(mode="json")}
    )


def _email_item(email: str, business_id: str) -> dict[str, Any]:
    return {"pk": f"EMAIL#{email}", "sk": "TEAM", "business_id": business_id}


def _member_item(business_id: str, member: TeamMember) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"TEAM#{business_id}",
            "sk": f"MEMBER#{member.email}",
            **member.model_dump(mode="json"),
        }
    )


def _member(item: dict[str, Any]) -> TeamMember:
    data = from_item(item)
    return TeamMember.model_validate({k: v for k, v in data.items() if k not in ("pk", "sk")})
