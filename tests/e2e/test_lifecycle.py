"""Session lifecycle over HTTP on the local stack: the confirm workflow CDK defines runs in
moto's Step Functions with the real handlers, under races and injected provider faults."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.client import PHONE, TIMEOUT, Console, inbox, slots
from tests.e2e.conftest import wait_for

FINAL = ("completed", "failed")


def _together(*calls: Callable[[], Any]) -> list[Any]:
    """Runs the calls at the same instant from separate threads; returns their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _confirm(link: str, slot: str) -> int:
    response = PHONE.post(f"{link}/confirm", data={"slot": slot}, allow_redirects=False, timeout=30)
    return response.status_code


def test_one_session_in_progress_per_appointment(console):
    _, appointment, first = console.send_any()
    again = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert again.status_code == 409
    assert again.json()["session_id"] == first["id"]
    # Once canceled, the appointment can get a new link
    assert console.post(f"/api/sessions/{first['id']}/cancel").status_code == 200
    fresh = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert fresh.status_code == 201


def test_cancel_revokes_the_link_at_once(console):
    _, _, session = console.send_any()
    canceled = console.post(f"/api/sessions/{session['id']}/cancel")
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert [e["actor"] for e in canceled.json()["timeline"] if e["type"] == "canceled"] == [
        "dispatcher"
    ]
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert page.status_code == 410
    assert "canceled" in page.text
    assert 'href="tel:+13125550100"' in page.text
    # Both actions answer 409 on a closed session, and nothing changes
    assert console.post(f"/api/sessions/{session['id']}/cancel").status_code == 409
    assert console.post(f"/api/sessions/{session['id']}/resend").status_code == 409
    assert _confirm(session["link"], "anything") == 410


def test_resend_texts_the_same_link_again(console, stack_url):
    customer, _, session = console.send_any()
    resent = console.post(f"/api/sessions/{session['id']}/resend")
    assert resent.status_code == 200, resent.text
    assert "resent" in [e["type"] for e in resent.json()["timeline"]]
    texts = [m for m in inbox(stack_url, customer["phone"]) if session["link"] in m["body"]]
    assert len(texts) == 2
    assert texts[0]["body"] == texts[1]["body"]

    # The second message's delivery is what the session reports: a delivery after the resend
    def delivered_after_resend():
        detail = console.session(session["id"])
        types = [e["type"] for e in detail["timeline"]]
        resent_at = types.index("resent")
        return detail if "delivered" in types[resent_at:] else None

    detail = wait_for(delivered_after_resend)
    assert detail["delivery_status"] == "delivered"


def test_a_get_never_marks_viewed_but_the_page_signal_does(console):
    _, _, session = console.send_any()
    for _ in range(3):  # a link preview, a mail scanner, the customer
        assert PHONE.get(session["link"], timeout=TIMEOUT).status_code == 200
    assert console.session(session["id"])["status"] == "link_sent"
    assert PHONE.post(f"{session['link']}/viewed", timeout=TIMEOUT).status_code == 204
    viewed = console.session(session["id"])
    assert viewed["status"] == "viewed"
    assert viewed["status_label"] == "Viewed by client"
    assert [e["actor"] for e in viewed["timeline"] if e["type"] == "viewed"] == ["customer"]
    # A second signal changes nothing
    assert PHONE.post(f"{session['link']}/viewed", timeout=TIMEOUT).status_code == 204
    assert [e["type"] for e in console.session(session["id"])["timeline"]].count("viewed") == 1


def test_lists_in_progress_and_history_newest_first_with_pages(console):
    sent = [console.send_any()[2] for _ in range(3)]
    console.post(f"/api/sessions/{sent[0]['id']}/cancel")

    in_progress = console.get("/api/sessions", params={"view": "in_progress", "limit": 100}).json()
    ids = [s["id"] for s in in_progress["sessions"]]
    assert sent[2]["id"] in ids
    assert sent[1]["id"] in ids
    assert sent[0]["id"] not in ids
    assert ids.index(sent[2]["id"]) < ids.index(sent[1]["id"])  # newest first
    history = console.get("/api/sessions", params={"view": "history", "limit": 100}).json()
    assert sent[0]["id"] in [s["id"] for s in history["sessions"]]

    # Pages of one, followed by their cursors, see every session exactly once
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"view": "in_progress", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = console.get("/api/sessions", params=params).json()
        seen.extend(s["id"] for s in page["sessions"])
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == ids

    assert console.get("/api/sessions", params={"view": "everything"}).status_code == 422
    assert console.get("/api/sessions", params={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 422


def test_twenty_concurrent_confirms_start_one_workflow_and_move_once(console):
    _, _, session = console.send_any()
    slot = slots(PHONE.get(session["link"], timeout=TIMEOUT).text)[0]
    codes = _together(*[lambda: _confirm(session["link"], slot)] * 20)
    assert set(codes) <= {303, 409}, codes
    assert 303 in codes
    done = console.wait_status(session["id"], *FINAL)
    assert done["status"] == "completed"
    types = Counter(e["type"] for e in done["timeline"])
    assert types["confirming"] == 1
    assert types["completed"] == 1
    assert types["confirmation_sent"] == 1


def _two_sessions_sharing_a_slot(console: Console) -> tuple[dict, dict, str]:
    """Two open sessions of the same technician whose pages offer the same time."""
    by_technician: dict[str, list[dict]] = {}
    for _, appointment in console.movable_appointments():
        by_technician.setdefault(appointment["technician"]["id"], []).append(appointment)
    for appointments in by_technician.values():
        opened = []
        for appointment in appointments[:4]:
            response = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
            if response.status_code == 201:
                opened.append(response.json())
        for i, first in enumerate(opened):
            for second in opened[i + 1 :]:
                a = set(slots(PHONE.get(first["link"], timeout=TIMEOUT).text))
                b = set(slots(PHONE.get(second["link"], timeout=TIMEOUT).text))
                if a & b:
                    return first, second, sorted(a & b)[0]
    raise AssertionError("no two sessions share an opening")


def test_two_customers_racing_for_one_time_one_wins_the_other_picks_again(console):
    first, second, slot = _two_sessions_sharing_a_slot(console)
    codes = _together(lambda: _confirm(first["link"], slot), lambda: _confirm(second["link"], slot))
    assert codes == [303, 303]
    # Neither page was shown with its script, so "viewed" can only be the loser handed back
    outcomes = [
        console.wait_status(s["id"], "completed", "failed", "viewed") for s in (first, second)
    ]
    statuses = sorted(o["status"] for o in outcomes)
    assert statuses == ["completed", "viewed"], statuses
    loser = next(o for o in outcomes if o["status"] == "viewed")
    assert "opening_taken" in [e["type"] for e in loser["timeline"]]
    loser_link = first["link"] if loser["id"] == first["id"] else second["link"]
    page = PHONE.get(loser_link, timeout=TIMEOUT)
    assert "just taken" in page.text
    assert slot not in slots(page.text)  # the taken time is no longer offered
    assert slots(page.text)  # but others are


def test_cancel_racing_a_confirm_ends_consistent(console):
    customer, appointment, session = console.send_any()
    slot = slots(PHONE.get(session["link"], timeout=TIMEOUT).text)[0]
    cancel_code, confirm_code = _together(
        lambda: console.post(f"/api/sessions/{session['id']}/cancel").status_code,
        lambda: _confirm(session["link"], slot),
    )
    final = console.wait_status(session["id"], "canceled", "completed", "failed")
    moved = next(
        a
        for c in console.customers(customer["name"])
        if c["id"] == customer["id"]
        for a in c["appointments"]
        if a["id"] == appointment["id"]
    )
    if final["status"] == "canceled":
        assert cancel_code == 200
        assert confirm_code == 410
        assert moved["start"] == appointment["start"]
    else:
        assert cancel_code == 409
        assert confirm_code == 303
        assert final["status"] == "completed"
        assert moved["start"] != appointment["start"]


@pytest.mark.parametrize(
    ("fault", "times", "status", "reason"),
    [
        ("unavailable", 2, "completed", None),
        ("timeout", 1, "completed", None),
        ("rate_limited", 2, "completed", None),
        ("conflict", 1, "failed", "The appointment changed elsewhere."),
        ("unavailable", 50, "failed", "The scheduling provider was unavailable."),
        # Every try goes through and its answer is lost: the watchdog finds it moved
        ("answer_lost", 50, "completed", None),
    ],
)
def test_provider_faults_end_completed_or_failed_never_stuck(
    console, faults, fault, times, status, reason
):
    customer, appointment, session = console.send_any()
    slot = slots(PHONE.get(session["link"], timeout=TIMEOUT).text)[0]
    faults(operation="move_appointment", fault=fault, times=times, appointment_id=appointment["id"])
    assert _confirm(session["link"], slot) == 303
    done = console.wait_status(session["id"], *FINAL, timeout=90)
    assert done["status"] == status
    assert done["failure_reason"] == reason
    page = PHONE.get(session["link"], timeout=TIMEOUT).text
    if status == "failed":
        assert reason in page
        assert 'href="tel:+13125550100"' in page
        # The original appointment is never lost
        found = [
            a
            for c in console.customers(customer["name"])
            for a in c["appointments"]
            if a["id"] == appointment["id"]
        ]
        assert found[0]["start"] == appointment["start"]
    else:
        assert "all set" in page


@pytest.mark.parametrize(
    ("function", "fault", "when"),
    [
        ("confirm.hold", "killed", "before"),
        ("confirm.check", "timed_out", "after"),
        ("confirm.move", "killed", "after"),  # moved, then died: retried on its key, once
        ("confirm.finalize", "killed", "after"),
    ],
)
def test_a_step_killed_or_timed_out_is_run_again_and_the_move_happens_once(
    stack_url, console, function, fault, when
):
    customer, _, session = console.send_any()
    slot = slots(PHONE.get(session["link"], timeout=TIMEOUT).text)[0]

    def confirmations() -> int:
        return sum("is now" in m["body"] for m in inbox(stack_url, customer["phone"]))

    before = confirmations()
    rule = {"function": function, "fault": fault, "when": when}
    armed = requests.post(f"{stack_url}/dev/function-faults", json=rule, timeout=TIMEOUT)
    assert armed.status_code == 201, armed.text
    try:
        assert _confirm(session["link"], slot) == 303
        done = console.wait_status(session["id"], *FINAL, timeout=90)
    finally:
        requests.delete(f"{stack_url}/dev/function-faults", timeout=TIMEOUT)
    assert done["status"] == "completed"
    events = [e["type"] for e in done["timeline"]]
    assert events.count("completed") == 1
    wait_for(lambda: confirmations() > before)
    time.sleep(1)  # a second confirmation would be sent by now
    assert confirmations() == before + 1  # confirmed once
