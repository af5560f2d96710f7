from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        # wall clock: the Clock port's AWS side
        return datetime.now(UTC)
