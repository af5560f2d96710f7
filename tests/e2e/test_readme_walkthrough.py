"""The README's "Try it" walkthrough, as a newcomer runs it, whatever hour their machine says.

`make dev` starts its clock at the real time when that is a working hour for every seeded
business, else at the next one (local/stack.py `seed_and_clock`), so the walkthrough works as
written at any hour. For a machine whose clock reads 09:00, 22:30 and 06:00 in Chicago, the
stack's clock is where `make dev` would start it, and the steps run as the README says.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from local.stack import LocalStack, StackConfig
from tests.e2e.client import PHONE, TIMEOUT, Console, inbox, slots
from tests.e2e.conftest import PINNED, ROOT, running_stack, wait_for

CHICAGO = ZoneInfo("America/Chicago")
# The machine's hours the walkthrough must work at.
HOURS = (time(9, 0), time(22, 30), time(6, 0))
README = (ROOT / "README.md").read_text()


def _try_it() -> tuple[str, str]:
    """The dispatcher and the customer search the README's walkthrough uses."""
    block = README.split("## Try it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    dispatcher = re.search(r"dev/token\?dispatcher=([^\"'&\s]+)", block)
    search = re.search(r"api/customers\?q=([a-z]+)", block)
    assert dispatcher, "the walkthrough signs in with /dev/token?dispatcher=<email>"
    assert search, "the walkthrough finds a customer with /api/customers?q=<name>"
    return dispatcher.group(1), search.group(1)


def _where_make_dev_starts(machine: datetime) -> datetime:
    """What `make dev` (LOCAL_CLOCK=business-hours) sets its clock to on a machine whose
    clock says `machine`: the same code, asked (tests/unit/local/test_stack_clock.py)."""
    stack = LocalStack(StackConfig(real=lambda: machine))
    stack.seed_and_clock()
    return stack.clock.now()


def test_the_readme_walkthrough_works_at_any_hour(tmp_path: Path) -> None:
    day = PINNED.date()
    machines = [datetime.combine(day, hour, CHICAGO) for hour in HOURS]
    starts = sorted({_where_make_dev_starts(machine) for machine in machines})
    dispatcher, query = _try_it()

    # One stack, its clock moved forward from one case's start to the next
    with running_stack(tmp_path, starts[0]) as url:
        _walk_through(url, dispatcher, query, starts[0])
        for start in starts[1:]:
            moved = requests.post(f"{url}/dev/clock", json={"now": start.isoformat()}, timeout=60)
            assert moved.status_code == 200, moved.text
            _walk_through(url, dispatcher, query, start)


def _walk_through(url: str, dispatcher: str, query: str, start: datetime) -> None:
    console = Console.sign_in(url, dispatcher)

    # 1. find a customer and an upcoming appointment
    [customer, *_] = console.customers(query)
    now = console.now()
    # 2. send the link (an appointment from step 1 more than a day away, with none open)
    appointment = next(
        a
        for a in customer["appointments"]
        if datetime.fromisoformat(a["start"]) > now + timedelta(days=2) and a["session"] is None
    )
    sent = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert sent.status_code == 201, f"at {start}: {sent.text}"
    session = sent.json()

    # 3. the customer's phone shows the text; they tap the link, pick a time, confirm
    texts = wait_for(lambda: inbox(url, customer["phone"]))
    assert session["link"].split("/r/")[1] in texts[-1]["body"]
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert page.status_code == 200
    [first, *_] = slots(page.text)
    confirm = PHONE.post(f"{session['link']}/confirm", data={"slot": first}, timeout=TIMEOUT)
    assert confirm.status_code == 200

    # 4. the session shows completed, and step 1 shows the appointment at its new time
    done = console.wait_status(session["id"], "completed", "failed")
    assert done["status"] == "completed", done.get("failure_reason")
    [moved] = [
        a for c in console.customers(query) for a in c["appointments"]
        if a["id"] == appointment["id"]
    ]  # fmt: skip
    assert datetime.fromisoformat(moved["start"]) == datetime.fromisoformat(done["new_start"])
