"""A function's services: each built on first use, then kept for the container's life.

A handler holds one `FunctionServices` subclass instance at module level. Creating it reads
nothing: the environment, the process's dependencies and each service are built when a
request first needs them, so importing a handler opens no connection (local/openapi.py
imports them all) and a route loads only its own service's modules (cold starts:
docs/performance.md). A test hands its own `Dependencies` (and environment) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar, cast

from reschedule_dispatch.composition.dependencies import Dependencies, dependencies
from reschedule_dispatch.domain.ports import Clock
from reschedule_dispatch.environment import EnvSettings

E = TypeVar("E", bound=EnvSettings)
T = TypeVar("T")


class FunctionServices(Generic[E]):
    environment: ClassVar[type[EnvSettings]]

    def __init__(self, deps: Dependencies | None = None, env: E | None = None) -> None:
        self._given_deps, self._given_env = deps, env
        self._per_argument: dict[Hashable, Any] = {}

    @cached_property
    def deps(self) -> Dependencies:
        return self._given_deps or dependencies()

    @cached_property
    def env(self) -> E:
        return self._given_env or cast(E, self.environment())

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    def build_now(self, *names: str) -> None:
        """Build these services at once (SnapStart's init, before the snapshot)."""
        for name in names:
            getattr(self, name)

    def _per(self, key: Hashable, build: Callable[[], T]) -> T:
        """A service that depends on something only the first request knows (the function's
        own ARN, the API's origin), built once per value."""
        if key not in self._per_argument:
            self._per_argument[key] = build()
        return cast(T, self._per_argument[key])
