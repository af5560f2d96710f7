"""Fires due one-time EventBridge schedules: moto stores schedules but never runs them."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3

from local.clock import real_now

logger = logging.getLogger("local.scheduler")

MAX_ATTEMPTS = 5  # Scheduler retries a failed target; a handful is enough locally


def due_at(expression: str) -> datetime | None:
    """The moment of a one-time `at(yyyy-mm-ddThh:mm:ss)` schedule, in UTC; None otherwise."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    return datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)


class EveryInterval:
    """Runs `job` every `seconds` on a thread, as an EventBridge rate rule would, until
    stopped; a failed run is logged and the next one comes round."""

    def __init__(self, job: Callable[[], object], seconds: float, *, name: str) -> None:
        self._job = job
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self._job()
            except Exception:
                logger.exception("%s: a run failed; the next one comes round", self._thread.name)


class SchedulerPump:
    def __init__(
        self,
        invoke: Callable[[str, Any], Any],
        clock: Callable[[], datetime] = real_now,
        interval_seconds: float = 1.0,
    ) -> None:
        self._invoke = invoke
        self._clock = clock
        # One firing at a time: the pump's tick and /dev/clock's advance both fire.
        self._firing = threading.Lock()
        self._interval = interval_seconds
        self._client = boto3.client("scheduler")
        self._attempts: dict[tuple[str, str], int] = {}
        # Each listed schedule's details and the LastModificationDate they were read at:
        # ListSchedules carries no expression, and reading every schedule every tick costs
        # a request each (a quarter of a second a tick with a few hundred sessions).
        self._read: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
        self._ticks = EveryInterval(self.fire_due, interval_seconds, name="scheduler-pump")

    def start(self) -> None:
        self._ticks.start()

    def stop(self) -> None:
        self._ticks.stop()

    def fire_due(self) -> int:
        """Runs every due one-time schedule's target once, earliest first (as they would
        have fired had the clock run there); returns how many fired."""
        with self._firing:
            return self._fire_due()

    def next_due(self, until: datetime) -> datetime | None:
        """The earliest one-time schedule after the clock's now and at or before `until`."""
        now = self._clock()
        moments = [
            at
            for _, (_, schedule) in self._listed().items()
            if (at := due_at(schedule["ScheduleExpression"])) is not None and now < at <= until
        ]
        return min(moments, default=None)

    def _listed(self) -> dict[tuple[str, str], tuple[datetime, dict[str, Any]]]:
        listed: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
        paginator = self._client.get_paginator("list_schedules")
        for page in paginator.paginate(State="ENABLED"):
            for summary in page["Schedules"]:
                group, name = summary.get("GroupName", "default"), summary["Name"]
                schedule = self._details(group, name, summary["LastModificationDate"])
                listed[(group, name)] = (summary["LastModificationDate"], schedule)
        return listed

    def _fire_due(self) -> int:
        now = self._clock()
        listed = self._listed()
        due = [
            (at, group, name, schedule)
            for (group, name), (_, schedule) in listed.items()
            if (at := due_at(schedule["ScheduleExpression"])) is not None and at <= now
        ]
        self._read = listed  # forgets the schedules that are gone
        due.sort(key=lambda entry: entry[:3])
        return sum(self._fire(group, name, schedule) for _, group, name, schedule in due)

    def _details(self, group: str, name: str, modified: datetime) -> dict[str, Any]:
        """The schedule as GetSchedule answers, read again only when it has changed."""
        read = self._read.get((group, name))
        if read is not None and read[0] == modified:
            return read[1]
        return dict(self._client.get_schedule(GroupName=group, Name=name))

    def _fire(self, group: str, name: str, schedule: dict[str, Any]) -> bool:
        target = schedule["Target"]
        key = (group, name)
        try:
            self._invoke(target["Arn"], json.loads(target.get("Input") or "{}"))
        except Exception as error:
            self._attempts[key] = self._attempts.get(key, 0) + 1
            logger.warning("schedule %s/%s target failed: %s", group, name, error)
            if self._attempts[key] < MAX_ATTEMPTS:
                return False
        self._attempts.pop(key, None)
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self._client.delete_schedule(GroupName=group, Name=name)
        else:
            self._client.update_schedule(
                **{k: schedule[k] for k in ("Name", "GroupName", "ScheduleExpression", "Target")},
                FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
                State="DISABLED",
            )
        return True
