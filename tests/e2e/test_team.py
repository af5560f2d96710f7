"""A business starts from nothing on the local stack: sign-up, its admin signed in, a
dispatcher invited who may work but not change the business, then removed."""

from __future__ import annotations

import secrets

import requests

from tests.e2e.client import Console


def _fresh_number() -> str:
    return "+1312555" + str(secrets.randbelow(9000) + 1000)


def test_a_business_starts_with_its_admin_who_invites_and_removes_a_dispatcher(stack_url):
    suffix = secrets.token_hex(3)
    admin_email, dispatcher_email = f"ana-{suffix}@start.example", f"dan-{suffix}@start.example"
    signup = {
        "name": "Start Plumbing",
        "phone": _fresh_number(),
        "time_zone": "America/Denver",
        "admin_email": admin_email.upper(),
    }

    # When a person signs up (no token)
    started = requests.post(f"{stack_url}/api/signup", json=signup, timeout=10)

    # Then the business exists, and its admin signs in to it
    assert started.status_code == 201, started.text
    business = started.json()["business"]
    admin = Console.sign_in(stack_url, admin_email)
    me = admin.get("/api/me").json()
    assert me["business"]["id"] == business["id"]
    assert me["role"] == "admin"
    assert admin.get("/api/settings").json()["quiet_hours_start"] == "21:00"  # defaults

    # When the admin invites a dispatcher
    invited = admin.post("/api/team", json={"email": dispatcher_email})
    assert invited.status_code == 201, invited.text
    dispatcher = Console.sign_in(stack_url, dispatcher_email)

    # Then the dispatcher works in the business but may not change it
    assert dispatcher.get("/api/me").json()["role"] == "dispatcher"
    settings = dispatcher.get("/api/settings").json()
    refused = dispatcher.put("/api/settings", json={**settings, "link_ttl_hours": 3})
    assert refused.status_code == 403, refused.text
    assert "admin" in refused.json()["message"]
    assert admin.get("/api/settings").json()["link_ttl_hours"] == settings["link_ttl_hours"]
    assert (
        dispatcher.post("/api/team", json={"email": f"eve-{suffix}@x.example"}).status_code == 403
    )
    team = [m["email"] for m in admin.get("/api/team").json()]
    assert team == sorted([admin_email, dispatcher_email])

    # When the admin removes them, they can no longer sign in
    assert admin.delete(f"/api/team/{dispatcher_email}").status_code == 200
    gone = requests.get(
        f"{stack_url}/dev/token", params={"dispatcher": dispatcher_email}, timeout=5
    )
    assert gone.status_code in (401, 403, 404)
    assert [m["email"] for m in admin.get("/api/team").json()] == [admin_email]


def test_a_sign_up_that_clashes_or_is_malformed_writes_nothing(stack_url, console):
    taken = console.get("/api/me").json()["business"]["phone"]  # a seeded business's number
    base = {"name": "Copycat", "time_zone": "America/Chicago"}

    clash = requests.post(
        f"{stack_url}/api/signup",
        json={**base, "phone": taken, "admin_email": "copy@cat.example"},
        timeout=10,
    )
    bad_zone = requests.post(
        f"{stack_url}/api/signup",
        json={
            **base,
            "phone": _fresh_number(),
            "time_zone": "Mars/Olympus",
            "admin_email": "z@z.example",
        },
        timeout=10,
    )
    bad_phone = requests.post(
        f"{stack_url}/api/signup",
        json={**base, "phone": "555-0100", "admin_email": "p@p.example"},
        timeout=10,
    )

    assert clash.status_code == 409
    assert taken in clash.json()["message"]
    assert bad_zone.status_code == 422
    assert "time zone" in bad_zone.text
    assert bad_phone.status_code == 422
    assert "E.164" in bad_phone.text
    # Nothing was made: none of them can sign in
    for email in ("copy@cat.example", "z@z.example", "p@p.example"):
        refused = requests.get(f"{stack_url}/dev/token", params={"dispatcher": email}, timeout=5)
        assert refused.status_code != 200
