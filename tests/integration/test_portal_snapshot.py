"""The portal's SnapStart init: its services built before the snapshot, without a network
call, and `random` reseeded in each restored environment."""

from __future__ import annotations

import importlib
import random
import socket
import sys
import types
from collections.abc import Callable
from typing import Any

import botocore.client
import pytest

from reschedule_dispatch.composition import Dependencies


@pytest.fixture
def portal(world: Any, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = importlib.import_module("functions.portal.handler")
    # This test's own dependencies, on its moto
    monkeypatch.setattr(module, "services", type(module.services)(Dependencies()))
    return module


def test_the_snapshot_holds_the_page_services_and_no_connection_was_opened(portal, monkeypatch):
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a connection was opened before the snapshot")

    # Neither a socket (an HTTP client) nor any AWS call (moto answers those inside
    # botocore, before a socket): nothing read, no secret, before the snapshot
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", no_network)
    restored: list[Callable[[], None]] = []
    hooks = types.ModuleType("snapshot_restore_py")
    hooks.register_after_restore = restored.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", hooks)

    portal.prepare_snapshot()

    built = vars(portal.services)
    assert "links" in built
    assert "invitations" in built
    assert restored == [portal.reseed_random]


def test_each_restored_environment_draws_its_own_random_numbers(portal):
    random.seed(7)
    snapshot = random.random()
    random.seed(7)
    portal.reseed_random()
    assert random.random() != snapshot


def test_without_the_runtime_hooks_nothing_is_registered(portal, monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    portal.after_restore(portal.reseed_random)  # no error: not on SnapStart
