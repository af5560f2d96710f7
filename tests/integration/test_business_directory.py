"""Business settings are cached per container, never at the cost of a dispatcher's own save."""

from __future__ import annotations

from typing import Any

from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.services.business_settings import GetBusiness, UpdateSettings
from tests.integration.conftest import World

BUSINESS = "acme"


class WriteDuringRead:
    """A table whose next profile read returns, then lets another request save before the
    reader goes on: the interleaving of a poll and a settings save in one container."""

    def __init__(self, table: Any, write: Any) -> None:
        self._table = table
        self._write = write

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        item: dict[str, Any] = self._table.get_item(**kwargs)
        if self._write:
            write, self._write = self._write, None
            write()
        return item

    def put_item(self, **kwargs: Any) -> Any:
        return self._table.put_item(**kwargs)


def test_a_read_that_straddles_a_save_does_not_cache_the_old_settings(world: World) -> None:
    table = world.businesses._table
    directory = DynamoBusinessDirectory(table)
    save = UpdateSettings(businesses=directory)
    directory._table = WriteDuringRead(table, lambda: save(BUSINESS, {"max_drive_minutes": 45}))

    # The poll read the old settings, the save landed while it finished
    assert directory.get(BUSINESS).settings.max_drive_minutes == 30

    # The next read is not served that old value from the cache
    assert directory.get(BUSINESS).settings.max_drive_minutes == 45


def test_the_settings_page_sees_a_save_made_by_another_container(world: World) -> None:
    table = world.businesses._table
    here, there = DynamoBusinessDirectory(table), DynamoBusinessDirectory(table)
    assert here.get(BUSINESS).settings.allow_technician_change is False  # cached here

    UpdateSettings(businesses=there)(BUSINESS, {"allow_technician_change": True})

    assert GetBusiness(businesses=here)(BUSINESS).settings.allow_technician_change is True
    # Customer-facing reads may use the cached copy for a while; a fresh one refreshes it
    assert here.get(BUSINESS).settings.allow_technician_change is True


def test_an_update_merges_onto_what_is_stored_not_onto_a_stale_copy(world: World) -> None:
    table = world.businesses._table
    here, there = DynamoBusinessDirectory(table), DynamoBusinessDirectory(table)
    here.get(BUSINESS)  # cached with the seeded settings

    UpdateSettings(businesses=there)(BUSINESS, {"link_ttl_hours": 6})
    UpdateSettings(businesses=here)(BUSINESS, {"max_drive_minutes": 60})

    stored = DynamoBusinessDirectory(table).get(BUSINESS).settings
    assert (stored.link_ttl_hours, stored.max_drive_minutes) == (6, 60)


def test_a_save_that_loses_the_race_rereads_and_reapplies_its_changes(world: World) -> None:
    # Another save lands between this save's read and its write: the write is refused on
    # the revision, and the change is reapplied onto what that save stored (its settings
    # kept). (A form that was loaded before the other save still carries that save's old
    # values: the console sending the revision it read, If-Match, is a step still to take.)
    table = world.businesses._table
    first, second = DynamoBusinessDirectory(table), DynamoBusinessDirectory(table)
    saved_second = False

    def link_ttl(business):
        nonlocal saved_second
        if not saved_second:  # the other save lands between this read and this write
            saved_second = True
            UpdateSettings(businesses=second)(BUSINESS, {"max_drive_minutes": 60})
        return business.model_copy(
            update={"settings": business.settings.model_copy(update={"link_ttl_hours": 6})}
        )

    first.update(BUSINESS, link_ttl)
    stored = DynamoBusinessDirectory(table).get(BUSINESS, fresh=True).settings
    assert (stored.link_ttl_hours, stored.max_drive_minutes) == (6, 60)
