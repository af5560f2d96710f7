"""The schedule mirror in the app table, packed so that a page view reads it in two requests.

Items in the business's mirror partition, `MIRROR#{business}`:

- `STATE`: the technicians, the window the mirror covers and when it was last in step.
- `W#{monday}#{technician}`: one technician's busy items touching one week (UTC),
  appointments and blocked times as zlib-compressed JSON arrays, and the same items as the
  openings engine's columns (`busy_columns`: times and places as packed doubles, ids and
  reasons as JSON), which a page reads without building a model per item. A page asks one
  Query for the weeks it searches, every technician at once; the sort key puts the week
  first so a range of weeks is one key range. With a billed route service (`stop_drives`),
  also the drives between the technician's own stops and home base that week
  (`stop_drives`), which do not depend on the customer: the sync pays for each once, a page
  never does. A rewritten week keeps the drives it already had and asks only for new ones.
- `A#{appointment}`, in a partition of its own (`MIRROR#{business}#APPOINTMENTS`): one
  appointment, for the lookups by id (a link's page, a move).
- `C#{bucket}`: the customer directory, hashed into a few packed buckets.

Each packed item carries a digest of its content; a sync writes only items whose digest
changed, so keeping the mirror costs writes in proportion to what changed.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import time
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from operator import itemgetter
from typing import Any, Protocol

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from reschedule_dispatch.adapters.dynamodb import all_items, is_condition_failure
from reschedule_dispatch.domain.mirror import (
    MirrorState,
    ScheduleSnapshot,
    TechnicianWeek,
    appointments_of,
    by_week,
    unique,
    weeks_between,
)
from reschedule_dispatch.domain.scheduling import (
    NO_BUSY,
    Appointment,
    BlockedTime,
    Busy,
    BusyColumns,
    Customer,
    Leg,
    Point,
    Technician,
)

_APPOINTMENTS = TypeAdapter(list[Appointment])
_BLOCKED = TypeAdapter(list[BlockedTime])
_CUSTOMERS = TypeAdapter(list[Customer])
_TECHNICIANS = TypeAdapter(list[Technician])

CUSTOMER_BUCKETS = 16
# Part of every week's digest: a new value rewrites every week once (the next reconcile),
# so a change to what a week item holds reaches all of them. 2: weeks carry `busy_columns`.
WEEK_FORMAT = b"2"
# Also in the digest: whether the writer knew the week's stop drives. A week written by a
# function without the route service (or while it failed) is rewritten, drives and all,
# by the next sync that has it.
_WITH_DRIVES, _WITHOUT_DRIVES = b"drives", b"no drives"
# A technician's state item is read on every page: keep it cached this long per container
# (a sync in this process refreshes it at once).
STATE_CACHE_SECONDS = 5.0


def _pk(business_id: str, sk: str = "") -> str:
    # The appointments by id have a partition of their own, so the weeks' Query (and the
    # digests' scans of one kind of item) never walk past thousands of them.
    suffix = "#APPOINTMENTS" if sk.startswith("A#") else ""
    return f"MIRROR#{business_id}{suffix}"


def _week_sk(week: date, technician_id: str) -> str:
    return f"W#{week.isoformat()}#{technician_id}"


def _bucket(customer_id: str) -> str:
    return f"C#{zlib.crc32(customer_id.encode()) % CUSTOMER_BUCKETS:02d}"


def _pack(data: bytes) -> bytes:
    return zlib.compress(data, 6)


def _digest(*parts: bytes) -> str:
    hashed = hashlib.blake2b(digest_size=16)
    for part in parts:
        hashed.update(part)
        hashed.update(b"\x00")
    return hashed.hexdigest()


def _bytes(value: Any) -> bytes:
    # boto3's resource layer hands binary attributes back as Binary
    return bytes(value.value if hasattr(value, "value") else value)


class StopDrives(Protocol):
    def drives(self, legs: Iterable[Leg]) -> dict[Leg, int]:
        """Minutes for the legs it could answer (each route billed once)."""
        ...


class DynamoScheduleMirror:
    def __init__(
        self, table: Any, *, clock: Any = time.monotonic, stop_drives: StopDrives | None = None
    ) -> None:
        self._table = table
        self._clock = clock
        self._stop_drives = stop_drives
        self._states: dict[str, tuple[float, MirrorState | None]] = {}
        self._lock = threading.Lock()

    # Reads ---------------------------------------------------------------------------------

    def state(self, business_id: str) -> MirrorState | None:
        now = self._clock()
        with self._lock:
            cached = self._states.get(business_id)
        if cached and now - cached[0] < STATE_CACHE_SECONDS:
            return cached[1]
        item = self._table.get_item(Key={"pk": _pk(business_id), "sk": "STATE"}).get("Item")
        state = None if item is None else _state(business_id, item)
        with self._lock:
            self._states[business_id] = (now, state)
        return state

    def busy(
        self,
        business_id: str,
        technician_ids: Collection[str] | None,
        start: datetime,
        end: datetime,
    ) -> dict[str, list[Busy]]:
        """Busy items overlapping [start, end), by technician (None: every technician)."""
        items = self._week_items(business_id, technician_ids, weeks_between(start, end))
        return busy_by_technician(items, technician_ids, start, end)

    def busy_columns(
        self, business_id: str, technician_ids: Collection[str], start: datetime, end: datetime
    ) -> dict[str, BusyColumns]:
        """The named technicians' busy items over the weeks [start, end) touches, as the
        openings engine's columns, by start. Items of those weeks outside [start, end) come
        too: the engine reads only what touches a working day it searches."""
        items = self._week_items(business_id, technician_ids, weeks_between(start, end))
        return columns_by_technician(items, technician_ids)

    def _week_items(
        self, business_id: str, technician_ids: Collection[str] | None, weeks: list[date]
    ) -> list[dict[str, Any]]:
        if technician_ids is not None and len(technician_ids) * len(weeks) <= 100:
            return self._get_many(
                [_week_sk(w, t) for t in technician_ids for w in weeks], business_id
            )
        return list(
            all_items(
                self._table.query,
                KeyConditionExpression=Key("pk").eq(_pk(business_id))
                & Key("sk").between(f"W#{weeks[0].isoformat()}", f"W#{weeks[-1].isoformat()}~"),
            )
        )

    def appointment(self, business_id: str, appointment_id: str) -> Appointment | None:
        item = self._table.get_item(
            Key={"pk": _pk(business_id, "A#"), "sk": f"A#{appointment_id}"}
        ).get("Item")
        return None if item is None else Appointment.model_validate_json(item["appointment"])

    def customers(self, business_id: str) -> list[Customer]:
        found: list[Customer] = []
        for item in all_items(
            self._table.query,
            KeyConditionExpression=Key("pk").eq(_pk(business_id)) & Key("sk").begins_with("C#"),
        ):
            found.extend(_CUSTOMERS.validate_json(zlib.decompress(_bytes(item["customers"]))))
        return found

    def customer(self, business_id: str, customer_id: str) -> Customer | None:
        item = self._table.get_item(Key={"pk": _pk(business_id), "sk": _bucket(customer_id)}).get(
            "Item"
        )
        if item is None:
            return None
        packed = _CUSTOMERS.validate_json(zlib.decompress(_bytes(item["customers"])))
        return next((c for c in packed if c.id == customer_id), None)

    # Writes --------------------------------------------------------------------------------

    def replace(self, business_id: str, snapshot: ScheduleSnapshot, synced_at: datetime) -> int:
        """The whole mirror becomes the snapshot; answers how many items were written."""
        weeks = [
            week
            for technician_id, busy in snapshot.busy.items()
            for week in by_week(technician_id, busy).values()
        ]
        existing = self._digests(business_id, "W#")
        written = self._write_weeks(
            business_id,
            weeks,
            existing=existing,
            drop_rest=True,
            homes=_homes(snapshot.technicians),
        )
        appointments = [a for busy in snapshot.busy.values() for a in appointments_of(busy)]
        existing = self._digests(business_id, "A#")  # read once: to skip the unchanged, to drop
        written += self._write_appointments(
            business_id, appointments, drop_rest_of=None, existing=existing
        )
        # Appointments the provider no longer has in the window (canceled, deleted) go too.
        gone = existing.keys() - {f"A#{a.id}" for a in appointments}
        with self._table.batch_writer() as batch:
            for sk in gone:
                batch.delete_item(Key={"pk": _pk(business_id, sk), "sk": sk})
        written += len(gone)
        written += self._write_customers(business_id, snapshot.customers, merge=False)
        self._put_state(
            business_id,
            snapshot.technicians,
            snapshot.window_start,
            snapshot.window_end,
            synced_at,
        )
        return written + 1

    def replace_technician(
        self,
        business_id: str,
        technician_id: str,
        start: datetime,
        end: datetime,
        busy: Sequence[Busy],
        customers: Sequence[Customer],
    ) -> int:
        """One technician's busy items over [start, end) become `busy` (whole weeks inside
        the span are replaced; items of the edge weeks outside it are kept)."""
        # Read once: what it holds now, and the digests that spare rewriting unchanged weeks
        items = self._get_many(
            [_week_sk(w, technician_id) for w in weeks_between(start, end)], business_id
        )
        existing = {str(item["sk"]): str(item.get("digest", "")) for item in items}
        filed = unique([b for item in items for b in _unpack_busy(item)])
        before = [b for b in filed if b.overlaps(start, end)]
        kept = [b for b in filed if not b.overlaps(start, end)]
        weeks = list(by_week(technician_id, [*kept, *busy]).values())
        for week in weeks_between(start, end):
            if all(w.week != week for w in weeks):
                weeks.append(TechnicianWeek(technician_id, week))
        written = self._write_weeks(
            business_id,
            weeks,
            existing=existing,
            drop_rest=False,
            homes=self._homes(business_id),
            previous={str(item["sk"]): item for item in items},
        )
        gone = {a.id for a in appointments_of(before)} - {a.id for a in appointments_of(busy)}
        written += self._write_appointments(
            business_id, appointments_of(busy), drop_rest_of=(technician_id, gone)
        )
        written += self._write_customers(business_id, customers, merge=True)
        return written

    def record(self, appointment: Appointment, before: Appointment | None) -> None:
        """An appointment we moved (or found changed): its weeks and its lookup item now say
        so, before any sync comes round."""
        business_id = appointment.business_id
        places = {
            (appointment.technician_id, w)
            for w in weeks_between(appointment.start, appointment.end)
        }
        if before is not None:
            places |= {(before.technician_id, w) for w in weeks_between(before.start, before.end)}
        for technician_id, week in sorted(places):
            self._update_week(business_id, technician_id, week, appointment)
        self._write_appointments(business_id, [appointment], drop_rest_of=None)

    # Internals -----------------------------------------------------------------------------

    def _update_week(
        self, business_id: str, technician_id: str, week: date, appointment: Appointment
    ) -> None:
        """Read, change, write back on the item's digest, again if someone wrote meanwhile."""
        key = {"pk": _pk(business_id), "sk": _week_sk(week, technician_id)}
        for _ in range(5):
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
            busy = [] if item is None else _unpack_busy(item)
            busy = [b for b in busy if not (isinstance(b, Appointment) and b.id == appointment.id)]
            if (
                appointment.technician_id == technician_id
                and appointment.status == "scheduled"
                and week in weeks_between(appointment.start, appointment.end)
            ):
                busy.append(appointment)
            filed = TechnicianWeek(
                technician_id, week, sorted(busy, key=lambda b: b.start.timestamp())
            )
            condition = (
                Attr("sk").not_exists() if item is None else Attr("digest").eq(item["digest"])
            )
            home = self._homes(business_id).get(technician_id)
            new = _week_item(business_id, filed, home, drives=self._stop_drives is not None)
            # Only this week's own stops, not those a day either side: marked incomplete, so
            # the next sync (which has the weeks around) writes it again with them.
            self._add_stop_drives(new, filed.busy, home, item, complete=False)
            try:
                self._table.put_item(Item=new, ConditionExpression=condition)
                return
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
        # Five writers in a row won: the next sync mends this week.

    def _write_weeks(
        self,
        business_id: str,
        weeks: Iterable[TechnicianWeek],
        *,
        existing: dict[str, str],
        drop_rest: bool,
        homes: dict[str, Point | None],
        previous: dict[str, dict[str, Any]] | None = None,
    ) -> int:
        """Writes the weeks whose digest differs from `existing` (sort key: digest); with
        `drop_rest`, deletes the existing weeks not among them. `previous` holds the stored
        items already read (their stop drives are kept); others are read if needed."""
        drives = self._stop_drives is not None
        weeks = list(weeks)
        filed = {(w.technician_id, w.week): w for w in weeks}
        new = {
            _week_sk(w.week, w.technician_id): (
                w,
                _week_item(business_id, w, homes.get(w.technician_id), drives=drives),
            )
            for w in weeks
        }
        changed = [
            sk
            for sk, (_, item) in new.items()
            if not item.get("empty") and existing.get(sk) != item["digest"]
        ]
        if previous is None:
            previous = {}
            if drives:  # only the drives of weeks being rewritten, and of those stored
                stored = [sk for sk in changed if sk in existing]
                found = self._get_many(stored, business_id, projection="sk, stop_drives")
                previous = {str(item["sk"]): item for item in found}
        written = 0
        with self._table.batch_writer() as batch:
            for sk, (week, item) in new.items():
                if item.pop("empty", False):
                    if sk in existing:
                        batch.delete_item(Key={"pk": _pk(business_id), "sk": sk})
                        written += 1
                elif existing.get(sk) != item["digest"]:
                    home = homes.get(week.technician_id)
                    around = _around(week, filed) if drives else week.busy
                    self._add_stop_drives(item, around, home, previous.get(sk))
                    batch.put_item(Item=item)
                    written += 1
            if drop_rest:
                for sk in existing.keys() - new.keys():
                    batch.delete_item(Key={"pk": _pk(business_id), "sk": sk})
                    written += 1
        return written

    def _add_stop_drives(
        self,
        item: dict[str, Any],
        stops: Sequence[Busy],
        home: Point | None,
        previous: dict[str, Any] | None,
        *,
        complete: bool = True,
    ) -> None:
        """The drives between `stops` (a week's, and those a day either side of it): those
        the stored week had, the rest from the route service. One it cannot answer now, or
        stops not `complete`, leave the week marked as without drives: the next sync asks
        again."""
        if self._stop_drives is None:
            return
        legs = legs_between(stops, home)
        known = _unpack_drives(previous) if previous else {}
        found = {leg: known[leg] for leg in legs if leg in known}
        missing = [leg for leg in legs if leg not in found]
        if missing:
            found.update(self._stop_drives.drives(missing))
        if len(found) < len(legs) or not complete:
            item["digest"] = _week_digest(item, home, drives=False)
        item["stop_drives"] = _pack(_drives_bytes(found))

    def _homes(self, business_id: str) -> dict[str, Point | None]:
        state = self.state(business_id)
        return _homes(state.technicians) if state else {}

    def _write_appointments(
        self,
        business_id: str,
        appointments: Sequence[Appointment],
        *,
        drop_rest_of: tuple[str, set[str]] | None,
        existing: dict[str, str] | None = None,
    ) -> int:
        new = {f"A#{a.id}": a for a in appointments}
        if existing is None:
            existing = self._digests_of(business_id, new)
        written = 0
        with self._table.batch_writer() as batch:
            for sk, appointment in new.items():
                body = appointment.model_dump_json()
                digest = _digest(body.encode())
                if existing.get(sk) != digest:
                    batch.put_item(
                        Item={
                            "pk": _pk(business_id, sk),
                            "sk": sk,
                            "appointment": body,
                            "technician_id": appointment.technician_id,
                            "digest": digest,
                        }
                    )
                    written += 1
        if drop_rest_of is not None:
            technician_id, gone = drop_rest_of
            for appointment_id in gone - {a.id for a in appointments}:
                # Only while it still names this technician: another's sync may have it now.
                try:
                    self._table.delete_item(
                        Key={"pk": _pk(business_id, "A#"), "sk": f"A#{appointment_id}"},
                        ConditionExpression=Attr("technician_id").eq(technician_id),
                    )
                    written += 1
                except ClientError as error:
                    if not is_condition_failure(error):
                        raise
        return written

    def _write_customers(
        self, business_id: str, customers: Sequence[Customer], *, merge: bool
    ) -> int:
        buckets: dict[str, dict[str, Customer]] = {}
        for customer in customers:
            buckets.setdefault(_bucket(customer.id), {})[customer.id] = customer
        if merge:
            for item in self._get_many(list(buckets), business_id):
                bucket = buckets[str(item["sk"])]
                for kept in _CUSTOMERS.validate_json(zlib.decompress(_bytes(item["customers"]))):
                    bucket.setdefault(kept.id, kept)
        else:
            for n in range(CUSTOMER_BUCKETS):
                buckets.setdefault(f"C#{n:02d}", {})
        existing = self._digests(business_id, "C#")
        written = 0
        with self._table.batch_writer() as batch:
            for sk, bucket in buckets.items():
                body = _CUSTOMERS.dump_json(sorted(bucket.values(), key=lambda c: c.id))
                digest = _digest(body)
                if existing.get(sk) != digest:
                    batch.put_item(
                        Item={
                            "pk": _pk(business_id),
                            "sk": sk,
                            "customers": _pack(body),
                            "digest": digest,
                        }
                    )
                    written += 1
        return written

    def _put_state(
        self,
        business_id: str,
        technicians: Sequence[Technician],
        window_start: datetime,
        window_end: datetime,
        synced_at: datetime,
    ) -> None:
        item = {
            "pk": _pk(business_id),
            "sk": "STATE",
            "technicians": _TECHNICIANS.dump_json(list(technicians)).decode(),
            "window_start": window_start.astimezone(UTC).isoformat(),
            "window_end": window_end.astimezone(UTC).isoformat(),
            "synced_at": synced_at.astimezone(UTC).isoformat(),
        }
        self._table.put_item(Item=item)
        with self._lock:
            self._states[business_id] = (self._clock(), _state(business_id, item))

    def _digests(self, business_id: str, prefix: str) -> dict[str, str]:
        return {
            str(item["sk"]): str(item.get("digest", ""))
            for item in all_items(
                self._table.query,
                KeyConditionExpression=Key("pk").eq(_pk(business_id, prefix))
                & Key("sk").begins_with(prefix),
                ProjectionExpression="sk, digest",
            )
        }

    def _digests_of(self, business_id: str, sks: Iterable[str]) -> dict[str, str]:
        return {
            str(item["sk"]): str(item.get("digest", ""))
            for item in self._get_many(list(sks), business_id, projection="sk, digest")
        }

    def _get_many(
        self, sks: list[str], business_id: str, projection: str | None = None
    ) -> list[dict[str, Any]]:
        """BatchGetItem in chunks of 100, retrying what DynamoDB leaves unprocessed."""
        found: list[dict[str, Any]] = []
        # The resource's own client: it converts items to and from Python values as the
        # table does.
        client = self._table.meta.client
        name = self._table.name
        for first in range(0, len(sks), 100):
            keys = [{"pk": _pk(business_id, sk), "sk": sk} for sk in sks[first : first + 100]]
            request: dict[str, Any] = {"Keys": keys}
            if projection:
                request["ProjectionExpression"] = projection
            pending: dict[str, Any] = {name: request}
            while pending:
                answer = client.batch_get_item(RequestItems=pending)
                found.extend(answer["Responses"].get(name, []))
                pending = answer.get("UnprocessedKeys") or {}
        return found


def busy_by_technician(
    items: Iterable[dict[str, Any]],
    technician_ids: Collection[str] | None,
    start: datetime,
    end: datetime,
) -> dict[str, list[Busy]]:
    """Week items as models: each busy item overlapping [start, end) once, by start."""
    found: dict[str, list[Busy]] = {t: [] for t in technician_ids or ()}
    for item in items:
        technician_id = str(item["technician_id"])
        if technician_ids is not None and technician_id not in technician_ids:
            continue
        theirs = found.setdefault(technician_id, [])
        theirs.extend(b for b in _unpack_busy(item) if b.overlaps(start, end))
    return {
        technician_id: sorted(unique(theirs), key=lambda b: b.start.timestamp())
        for technician_id, theirs in found.items()
    }


def columns_by_technician(
    items: Iterable[dict[str, Any]], technician_ids: Collection[str]
) -> dict[str, BusyColumns]:
    """Week items as the engine's columns: each item once, by start (weeks follow each
    other, and each is sorted)."""
    parts: dict[str, list[BusyColumns]] = {t: [] for t in technician_ids}
    for item in sorted(items, key=_SK):
        theirs = parts.get(str(item["technician_id"]))
        if theirs is None:
            continue
        week = _week_columns(item)
        if theirs:
            # An item touching two weeks is in both: keep it from the first one read only.
            monday = datetime.combine(_week_of_sk(str(item["sk"])), wall_time(0), UTC)
            week = _from(week, bisect_left(week.starts, monday.timestamp()))
        theirs.append(week)
    return {t: _concat(found) for t, found in parts.items()}


def _week_item(
    business_id: str, week: TechnicianWeek, home: Point | None = None, *, drives: bool = False
) -> dict[str, Any]:
    appointments = _APPOINTMENTS.dump_json(appointments_of(week.busy))
    blocked = _BLOCKED.dump_json([b for b in week.busy if isinstance(b, BlockedTime)])
    # The engine's module (about 10 ms to import) only when a week is written or read as
    # columns: most functions that load this adapter never do.
    from reschedule_dispatch.domain.openings import columns_of

    item: dict[str, Any] = {
        "pk": _pk(business_id),
        "sk": _week_sk(week.week, week.technician_id),
        "technician_id": week.technician_id,
        "appointments": _pack(appointments),
        "blocked": _pack(blocked),
        "busy_columns": _pack(_columns_bytes(columns_of(week.busy))),
        "digest": "",
    }
    item["digest"] = _week_digest(item, home, drives=drives)
    if not week.busy:
        item["empty"] = True
    return item


def _unpack_busy(item: dict[str, Any]) -> list[Busy]:
    busy: list[Busy] = []
    busy.extend(_APPOINTMENTS.validate_json(zlib.decompress(_bytes(item["appointments"]))))
    busy.extend(_BLOCKED.validate_json(zlib.decompress(_bytes(item["blocked"]))))
    return busy


# Columns as bytes: the count (4 bytes), then starts, ends, latitudes and longitudes as
# doubles (NaN: no place), then [ids, blocked, reasons] as JSON. Unpacking the numbers is a
# copy, not a parse: a page reads thousands of them.
_NO_PLACE = math.nan
_SK = itemgetter("sk")


# A working day that crosses a week's edge (UTC Monday 00:00, a Sunday evening in the
# Americas) has stops in both weeks: each week keeps the drives among the stops a day
# either side of it too.
_EDGE = timedelta(days=1)


def legs_between(stops: Sequence[Busy], home: Point | None) -> list[Leg]:
    """The drives a week keeps: between `stops` (`_around` a week) and their home base."""
    from reschedule_dispatch.domain.openings import columns_of, stop_legs  # with the engine

    return stop_legs(home, columns_of(sorted(stops, key=lambda b: b.start.timestamp())))


def _around(week: TechnicianWeek, filed: Mapping[tuple[str, date], TechnicianWeek]) -> list[Busy]:
    """The week's stops and the technician's others within a day of its edges."""
    monday = datetime.combine(week.week, wall_time(0), UTC)
    start, end = monday - _EDGE, monday + timedelta(days=7) + _EDGE
    near = [
        b
        for other in (week.week - timedelta(days=7), week.week + timedelta(days=7))
        if (week.technician_id, other) in filed
        for b in filed[(week.technician_id, other)].busy
        if b.overlaps(start, end)
    ]
    return unique([*week.busy, *near])


def _week_digest(item: dict[str, Any], home: Point | None, *, drives: bool) -> str:
    # The home base too: the drives from and to it change with it.
    return _digest(
        WEEK_FORMAT,
        _bytes(item["appointments"]),
        _bytes(item["blocked"]),
        repr(home).encode(),
        _WITH_DRIVES if drives else _WITHOUT_DRIVES,
    )


def _homes(technicians: Iterable[Technician]) -> dict[str, Point | None]:
    return {
        t.id: None if t.home_base is None else (t.home_base.lat, t.home_base.lon)
        for t in technicians
    }


def _drives_bytes(drives: dict[Leg, int]) -> bytes:
    numbers = array("d")
    for leg, minutes in drives.items():
        numbers.extend(leg)
        numbers.append(minutes)
    if sys.byteorder != "little":
        numbers.byteswap()
    return numbers.tobytes()


def _unpack_drives(item: dict[str, Any]) -> dict[Leg, int]:
    if "stop_drives" not in item:
        return {}
    numbers = array("d")
    numbers.frombytes(zlib.decompress(_bytes(item["stop_drives"])))
    if sys.byteorder != "little":
        numbers.byteswap()
    values = numbers.tolist()
    return {
        (values[i], values[i + 1], values[i + 2], values[i + 3]): int(values[i + 4])
        for i in range(0, len(values), 5)
    }


def _columns_bytes(columns: BusyColumns) -> bytes:
    places = columns.places
    numbers = array("d", columns.starts)
    numbers.extend(columns.ends)
    numbers.extend(_NO_PLACE if p is None else p[0] for p in places)
    numbers.extend(_NO_PLACE if p is None else p[1] for p in places)
    if sys.byteorder != "little":
        numbers.byteswap()
    text = json.dumps(
        [list(columns.ids), list(columns.blocked), list(columns.reasons)], separators=(",", ":")
    )
    return len(columns.ids).to_bytes(4, "little") + numbers.tobytes() + text.encode()


def _week_columns(item: dict[str, Any]) -> BusyColumns:
    if "busy_columns" not in item:  # written before weeks carried columns
        from reschedule_dispatch.domain.openings import columns_of

        return columns_of(sorted(unique(_unpack_busy(item)), key=lambda b: b.start.timestamp()))
    data = zlib.decompress(_bytes(item["busy_columns"]))
    n = int.from_bytes(data[:4], "little")
    numbers = array("d")
    numbers.frombytes(data[4 : 4 + 32 * n])
    if sys.byteorder != "little":
        numbers.byteswap()
    values = numbers.tolist()
    ids, blocked, reasons = json.loads(data[4 + 32 * n :])
    lats, lons = values[2 * n : 3 * n], values[3 * n :]
    places: list[tuple[float, float] | None] = list(zip(lats, lons, strict=True))
    if any(map(math.isnan, lats)):
        places = [None if math.isnan(lat) else p for lat, p in zip(lats, places, strict=True)]
    return BusyColumns(
        ids=ids,
        blocked=blocked,
        starts=values[:n],
        ends=values[n : 2 * n],
        places=places,
        reasons=reasons,
        drives=_unpack_drives(item),
    )


def _from(columns: BusyColumns, first: int) -> BusyColumns:
    if first == 0:
        return columns
    return BusyColumns(
        ids=columns.ids[first:],
        blocked=columns.blocked[first:],
        starts=columns.starts[first:],
        ends=columns.ends[first:],
        places=columns.places[first:],
        reasons=columns.reasons[first:],
        drives=columns.drives,
    )


def _concat(parts: list[BusyColumns]) -> BusyColumns:
    if not parts:
        return NO_BUSY
    if len(parts) == 1:
        return parts[0]
    ids: list[str] = []
    blocked: list[bool] = []
    starts: list[float] = []
    ends: list[float] = []
    places: list[tuple[float, float] | None] = []
    reasons: list[str] = []
    drives: dict[Leg, int] = {}
    for part in parts:
        drives.update(part.drives)
        ids.extend(part.ids)
        blocked.extend(part.blocked)
        starts.extend(part.starts)
        ends.extend(part.ends)
        places.extend(part.places)
        reasons.extend(part.reasons)
    return BusyColumns(
        ids=ids,
        blocked=blocked,
        starts=starts,
        ends=ends,
        places=places,
        reasons=reasons,
        drives=drives,
    )


def _week_of_sk(sk: str) -> date:
    return date.fromisoformat(sk.split("#")[1])


def _state(business_id: str, item: dict[str, Any]) -> MirrorState:
    return MirrorState(
        business_id=business_id,
        technicians=tuple(_TECHNICIANS.validate_json(str(item["technicians"]))),
        window_start=datetime.fromisoformat(str(item["window_start"])),
        window_end=datetime.fromisoformat(str(item["window_end"])),
        synced_at=datetime.fromisoformat(str(item["synced_at"])),
    )
