"""The README's "Try it" walkthrough, as a newcomer runs it, whatever hour their machine says.

`make dev` starts its clock at the real time when that is a working hour for every seeded
business, else at the next one (local/clock.py `next_business_hour`), so the walkthrough
works as written at any hour. Each case is a machine whose clock reads that hour in Chicago;
the stack starts where `make dev` would start it, and the steps run as the README says.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from local.clock import next_business_hour
from local.demo_data import demo_seed
from local.seed import Seed, business_of
from tests.e2e.client import TIMEOUT, Console, inbox, slots
from tests.e2e.conftest import ROOT, pinned_time, running_stack, wait_for

CHICAGO = ZoneInfo("America/Chicago")
README = (ROOT / "README.md").read_text()


def _try_it() -> tuple[str, str]:
    """The dispatcher and the customer search the README's walkthrough uses."""
    block = README.split("## Try it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    dispatcher = re.search(r"dev/token\?dispatcher=([^\"'&\s]+)", block)
    search = re.search(r"api/customers\?q=([a-z]+)", block)
    assert dispatcher, "the walkthrough signs in with /dev/token?dispatcher=<email>"
    assert search, "the walkthrough finds a customer with /api/customers?q=<name>"
    return dispatcher.group(1), search.group(1)


@pytest.mark.parametrize("hour", [time(9, 0), time(22, 30), time(6, 0)], ids=str)
def test_the_readme_walkthrough_works_at_any_hour(hour: time, tmp_path: Path) -> None:
    # wall clock: the day only; the hour is the case's
    day = pinned_time(date.today()).date()
    machine = datetime.combine(day, hour, CHICAGO)
    seeded = Seed.model_validate(demo_seed(machine.astimezone(ZoneInfo("UTC")).date()))
    start = next_business_hour(machine, [business_of(b) for b in seeded.businesses])
    dispatcher, query = _try_it()

    with running_stack(tmp_path, start) as url:
        console = Console.sign_in(url, dispatcher)

        # 1. find a customer and an upcoming appointment
        [customer, *_] = console.customers(query)
        now = console.now()
        # 2. send the link (an appointment from step 1 more than a day away)
        appointment = next(
            a
            for a in customer["appointments"]
            if datetime.fromisoformat(a["start"]) > now + timedelta(days=2)
        )
        sent = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
        assert sent.status_code == 201, f"at {hour} (clock {start}): {sent.text}"
        session = sent.json()

        # 3. the customer's phone shows the text; they tap the link, pick a time, confirm
        texts = wait_for(lambda: inbox(url, customer["phone"]))
        assert session["link"].split("/r/")[1] in texts[-1]["body"]
        page = requests.get(session["link"], timeout=TIMEOUT)
        assert page.status_code == 200
        [first, *_] = slots(page.text)
        confirm = requests.post(f"{session['link']}/confirm", data={"slot": first}, timeout=TIMEOUT)
        assert confirm.status_code == 200

        # 4. the session shows completed, and step 1 shows the appointment at its new time
        done = console.wait_status(session["id"], "completed", "failed")
        assert done["status"] == "completed", done.get("failure_reason")
        [moved] = [
            a for c in console.customers(query) for a in c["appointments"]
            if a["id"] == appointment["id"]
        ]  # fmt: skip
        assert datetime.fromisoformat(moved["start"]) == datetime.fromisoformat(done["new_start"])
