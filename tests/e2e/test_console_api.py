"""The console's backend: who am I, settings, message preview, in-progress chips."""

from __future__ import annotations

from tests.e2e.client import BAYSIDE, NORTHSIDE, Console


def test_me_names_the_dispatcher_and_their_business(stack_url):
    me = Console.sign_in(stack_url, NORTHSIDE).get("/api/me").json()
    assert me["email"] == NORTHSIDE
    assert me["business"] == {
        "id": "northside-plumbing",
        "name": "Northside Plumbing",
        "phone": "+13125550100",
        "time_zone": "America/Chicago",
    }


def test_settings_save_with_validation(stack_url):
    console = Console.sign_in(stack_url, BAYSIDE)
    settings = console.get("/api/settings").json()
    assert settings["max_drive_minutes"] == 30
    assert set(settings["templates"]) == {"en", "es"}

    changed = {**settings, "max_drive_minutes": 45, "link_ttl_hours": 24}
    try:
        saved = console.put("/api/settings", json=changed)
        assert saved.status_code == 200, saved.text
        assert saved.json()["max_drive_minutes"] == 45
        assert console.get("/api/settings").json()["link_ttl_hours"] == 24

        for bad in (
            {**settings, "max_drive_minutes": 50},
            {**settings, "link_ttl_hours": 0},
            {**settings, "templates": {"es": "solo"}},
            {**settings, "templates": {"en": ""}},
            {**settings, "unknown": 1},
        ):
            refused = console.put("/api/settings", json=bad)
            assert refused.status_code == 422, bad
            assert refused.json()["detail"]
        # Nothing was written by the refused requests
        assert console.get("/api/settings").json()["max_drive_minutes"] == 45

        # Provider triggers: sent automatically once chosen; a save that leaves them out
        # (an older console) keeps the choice
        assert settings["provider_triggers"] == "suggest"
        sending = console.put("/api/settings", json={**changed, "provider_triggers": "send"})
        assert sending.json()["provider_triggers"] == "send"
        kept = {k: v for k, v in changed.items() if k != "provider_triggers"}
        assert console.put("/api/settings", json=kept).json()["provider_triggers"] == "send"
    finally:
        # The stack is shared by the session: leave the business as it was
        assert console.put("/api/settings", json=settings).status_code == 200


def test_preview_counts_characters_and_segments(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    _, appointment = console.movable_appointments()[0]
    preview = console.post(
        "/api/messages/preview", json={"appointment_id": appointment["id"], "language": "en"}
    ).json()
    assert preview["full_text"] == f"{preview['text']} {preview['link_placeholder']}"
    assert preview["characters"] == len(preview["full_text"])
    assert preview["encoding"] == "GSM-7"
    assert preview["segments"] == 2  # the template plus a link runs past 160 characters
    assert appointment["service"] in preview["text"]

    emoji = console.post(
        "/api/messages/preview",
        json={"appointment_id": appointment["id"], "message": "See you soon 🙂"},
    ).json()
    assert emoji["encoding"] == "UCS-2"
    assert emoji["text"] == "See you soon 🙂"

    spanish = console.post(
        "/api/messages/preview", json={"appointment_id": appointment["id"], "language": "es"}
    ).json()
    assert spanish["text"].startswith("Hola")
    bad = console.post("/api/messages/preview", json={"appointment_id": "x", "language": "fr"})
    assert bad.status_code == 422


def test_search_shows_the_session_in_progress_on_an_appointment(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, appointment, session = console.send_any()
    found = next(c for c in console.customers(customer["name"]) if c["id"] == customer["id"])
    chip = next(a for a in found["appointments"] if a["id"] == appointment["id"])["session"]
    assert chip == {"id": session["id"], "status": "link_sent", "status_label": "Link sent"}
    others = [a for a in found["appointments"] if a["id"] != appointment["id"]]
    assert all(a["session"] is None or a["session"]["id"] != session["id"] for a in others)
