"""ServiceTitan's JSON records read as the domain's customers, appointments and places."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reschedule_dispatch.adapters.servicetitan.settings import PROVIDER
from reschedule_dispatch.domain.errors import (
    NotFound,
    ProviderError,
    Unprocessable,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Location,
)
from reschedule_dispatch.domain.session import Opening


@dataclass(frozen=True)
class Assembled:
    appointment: Appointment
    technicians: list[str]  # all assigned, first assigned first


def record_id(value: str, kind: str) -> str:
    """A ServiceTitan id (int64) for a path or filter; anything else cannot exist there."""
    if not value.isdigit() or len(value) > 19:
        raise NotFound(f"{kind} not found.")
    return value


def int_field(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderError(f"{PROVIDER} answered a record without a numeric {key}.")
    return value


def event_int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unprocessable(f"The ServiceTitan webhook has no numeric {key}.")
    return value


def time_field(raw: Mapping[str, Any], key: str) -> datetime:
    moment = maybe_time(raw.get(key))
    if moment is None:
        raise ProviderError(f"{PROVIDER} answered a record without a valid {key}.")
    return moment


def maybe_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # ServiceTitan's date-times are UTC; a missing offset means UTC, not local time.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def st_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def timespan(value: object) -> timedelta:
    """A .NET TimeSpan as ServiceTitan writes durations: "[d.]hh:mm:ss[.fffffff]"."""
    match = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.\d+)?", str(value or ""))
    if not match:
        return timedelta()
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def location_of(address: object) -> Location | None:
    if not isinstance(address, Mapping):
        return None
    lat, lon = address.get("latitude"), address.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # 0,0 is what an address that was never geocoded carries
    parts = [address.get(k) for k in ("street", "unit", "city", "state", "zip")]
    return Location(address=", ".join(str(p) for p in parts if p), lat=lat, lon=lon)


def assigned_technicians(assignments: Iterable[Mapping[str, Any]]) -> list[str]:
    """Technician ids on an appointment, first assigned first (the one the product moves)."""
    ordered = sorted(assignments, key=lambda a: (str(a.get("assignedOn") or ""), a.get("id", 0)))
    ids: list[str] = []
    for assignment in ordered:
        technician = str(int_field(assignment, "technicianId"))
        if technician not in ids:
            ids.append(technician)
    return ids


def version_of(raw: Mapping[str, Any], technicians: Sequence[str]) -> str:
    # modifiedOn covers the appointment itself; a reassignment may not touch it, so the
    # assigned technicians are part of the version too.
    return f"{raw.get('modifiedOn') or ''}|{','.join(technicians)}"


def times_match(appointment: Appointment, opening: Opening) -> bool:
    return (
        appointment.start.timestamp() == opening.start.timestamp()
        and appointment.end.timestamp() == opening.end.timestamp()
    )


def reschedule_body(raw: Mapping[str, Any], opening: Opening) -> dict[str, str]:
    body = {"start": st_time(opening.start), "end": st_time(opening.end)}
    window_start, window_end = (
        maybe_time(raw.get("arrivalWindowStart")),
        maybe_time(raw.get("arrivalWindowEnd")),
    )
    if window_start and window_end:
        # The arrival window keeps its place relative to the start (and its length).
        shift = opening.start - time_field(raw, "start")
        body["arrivalWindowStart"] = st_time(window_start + shift)
        body["arrivalWindowEnd"] = st_time(window_end + shift)
    return body


def move_record(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        record = json.loads(value)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def page_data(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ProviderError(f"{PROVIDER} answered a list without its data.")
    return data


def chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
