"""The fault matrix: every step of a reschedule, each fault, on the local stack.

`python bench/fault_matrix.py` (or `make faults`). The local stack runs in this process on
the load test's data (bench/load_seed.py: 200 appointments, each with its own customer).
Each scenario takes a fresh appointment through what a customer does (a link sent, opened
on the customer's phone, a time picked and confirmed) with one fault armed at one step:

- the step's function killed or timed out, before it runs or after it has done its work
  (`/dev/function-faults`: what Lambda reports, Runtime.ExitError or Sandbox.Timedout);
- the scheduling provider down for good, answering 429 twice, accepting a move whose
  answer is lost, or refusing it as changed elsewhere (`/dev/provider-faults`);
- DynamoDB cancelling transactions for a concurrent one, and EventBridge Scheduler
  throttling (answered here, in the process, before the call reaches moto);
- an expiry fired early (before the link's time is up, the schedule gone as a fired one
  is) or twice.

A scenario that settles with the customer asked to pick again (the time was taken) picks
once more with nothing armed. Then, for every scenario, with nothing armed:

- the session reached a final status (completed, failed, expired) within the bound; a
  session the watchdog must settle gets the dev clock moved past its grace;
- no lock is left: a new link can be sent for the appointment (it is then canceled);
- no hold is left: no unexpired hold names the session;
- no appointment overlaps another of its technician's (the provider's, read through the
  API);
- the customer's last text matches what happened: a confirmation naming the new time
  only when the appointment moved, and the appointment where the session says it is.

It prints the counts (faults injected, sessions final, locks and holds leaked, overlaps,
messages that do not match) and fails if any invariant does not hold.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import sys
import tempfile
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "layers" / "shared" / "python"))

import boto3  # noqa: E402 -- after the path setup above
import botocore.client  # noqa: E402
import requests  # noqa: E402
from boto3.dynamodb.conditions import Attr  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from bench.load_seed import DISPATCHER, load_plan  # noqa: E402
from bench.load_test import START, Booking, overlapping, page_slots  # noqa: E402
from local.stack import LocalStack, StackConfig  # noqa: E402
from local.template import Template  # noqa: E402
from reschedule_dispatch.services.lifecycle import HOLD_AFTER_MOVE  # noqa: E402

TIMEOUT = 30
BOUND_SECONDS = 120  # each scenario's session settles within this, or the matrix fails
FINAL = {"completed", "failed", "expired", "canceled"}


@dataclass(frozen=True)
class Fault:
    """One armed fault: where ("function", "provider", "aws"), what it applies to (a
    handler module's end, a provider port method, an AWS operation), what, and how often
    (a function fault: "before" or "after" it runs)."""

    where: str
    target: str
    kind: str
    times: int = 1
    when: str = "before"


@dataclass(frozen=True)
class Scenario:
    step: str
    fault: str
    faults: tuple[Fault, ...] = ()
    expire: str = ""  # "early" or "twice": the link is left to expire instead of confirmed


@dataclass
class Outcome:
    scenario: Scenario
    status: str = ""
    final: bool = False
    lock_left: bool = False
    holds_left: int = 0
    message_matches: bool = False
    where_matches: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


# AWS faults: answered in this process before the call leaves botocore -------------------


class AwsFaults:
    """`operation` (e.g. "TransactWriteItems") answers `code` for its next `times` calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, list[Any]] = {}
        original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
        faults = self

        def faulty(client: Any, operation: str, params: dict[str, Any]) -> Any:
            code = faults._take(operation)
            if code is not None:
                answer: Any = {"Error": {"Code": code, "Message": f"{code} (injected)"}}
                if code == "TransactionCanceledException":
                    answer["CancellationReasons"] = [{"Code": "TransactionConflict"}]
                raise ClientError(answer, operation)
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = faulty  # type: ignore[attr-defined]

    def arm(self, operation: str, code: str, times: int) -> None:
        with self._lock:
            self._armed[operation] = [code, times]

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def _take(self, operation: str) -> str | None:
        with self._lock:
            armed = self._armed.get(operation)
            if not armed:
                return None
            armed[1] -= 1
            if armed[1] <= 0:
                del self._armed[operation]
            return str(armed[0])


# The harness ----------------------------------------------------------------------------


class Harness:
    def __init__(self, stack: LocalStack, appointments: list[str]) -> None:
        self.url = stack.url
        self._appointments = iter(appointments)
        self.aws = AwsFaults()
        self.console = requests.Session()
        token = requests.get(
            f"{self.url}/dev/token", params={"dispatcher": DISPATCHER}, timeout=TIMEOUT
        ).json()["token"]
        self.console.headers["Authorization"] = f"Bearer {token}"
        # The stack runs in this process: its environment is this one's
        self.app_table = boto3.resource("dynamodb").Table(os.environ["APP_TABLE_NAME"])
        self.scheduler = boto3.client("scheduler")
        self.lambdas = boto3.client("lambda")
        self.schedule_group = os.environ["SCHEDULE_GROUP_NAME"]
        [self.expire_function] = [
            spec.name
            for spec in Template.load(ROOT / "cdk.out").functions().values()
            if spec.module == "functions.expire.handler"
        ]

    def arm(self, fault: Fault) -> None:
        rule: dict[str, object]
        if fault.where == "function":
            rule = {"function": fault.target, "fault": fault.kind, "when": fault.when}
            requests.post(f"{self.url}/dev/function-faults", json=rule, timeout=TIMEOUT)
        elif fault.where == "provider":
            rule = {
                "operation": fault.target,
                "fault": fault.kind,
                "times": fault.times,
            }
            requests.post(f"{self.url}/dev/provider-faults", json=rule, timeout=TIMEOUT)
        else:
            self.aws.arm(fault.target, fault.kind, fault.times)

    def disarm(self) -> None:
        requests.delete(f"{self.url}/dev/function-faults", timeout=TIMEOUT)
        requests.delete(f"{self.url}/dev/provider-faults", timeout=TIMEOUT)
        self.aws.clear()

    # what people do
    def send(self, appointment_id: str) -> dict[str, Any]:
        """A link for the appointment, sent as a dispatcher would: again if the answer was
        an error and nothing was written; a send whose answer was lost is in the list."""
        for _ in range(5):
            answer = self.console.post(
                f"{self.url}/api/sessions", json={"appointment_id": appointment_id}, timeout=TIMEOUT
            )
            if answer.status_code == 201:
                return dict(answer.json())
            found = self.session_of(appointment_id)
            if found is not None:
                return found
            time.sleep(1)
        raise RuntimeError(f"no link could be sent: {answer.status_code} {answer.text[:200]}")

    def session_of(self, appointment_id: str) -> dict[str, Any] | None:
        listed = self.console.get(
            f"{self.url}/api/sessions?view=in_progress&limit=100", timeout=TIMEOUT
        ).json()["sessions"]
        mine = [s for s in listed if s["appointment_id"] == appointment_id]
        return self.session(mine[0]["id"]) if mine else None

    def session(self, session_id: str) -> dict[str, Any]:
        answer = self.console.get(f"{self.url}/api/sessions/{session_id}", timeout=TIMEOUT)
        answer.raise_for_status()
        return dict(answer.json())

    def link(self, session: dict[str, Any]) -> str:
        """The link as the customer has it: in the text they got (the dispatcher's answer
        may have been lost)."""
        phone = session.get("customer_phone") or self.session(session["id"])["customer_phone"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = re.findall(
                r"/r/([A-Za-z0-9_-]{43})", " ".join(t["body"] for t in self.texts_to(phone))
            )
            if found:
                return f"{self.url}/r/{found[-1]}"
            time.sleep(0.3)
        raise RuntimeError("the customer got no link")

    def advance(self, duration: str) -> None:
        requests.post(f"{self.url}/dev/clock", json={"advance": duration}, timeout=TIMEOUT)

    def texts_to(self, phone: str) -> list[dict[str, Any]]:
        return list(
            requests.get(f"{self.url}/dev/sms", params={"to": phone}, timeout=TIMEOUT).json()
        )

    def appointment(self, appointment_id: str) -> dict[str, Any]:
        customers = self.console.get(
            f"{self.url}/api/customers", params={"q": "Load"}, timeout=60
        ).json()
        return next(a for c in customers for a in c["appointments"] if a["id"] == appointment_id)

    def bookings(self) -> list[Booking]:
        customers = self.console.get(
            f"{self.url}/api/customers", params={"q": "Load"}, timeout=60
        ).json()
        return [
            Booking(
                technician=a["technician"]["id"],
                start=datetime.fromisoformat(a["start"]),
                end=datetime.fromisoformat(a["end"]),
                label=a["id"],
            )
            for c in customers
            for a in c["appointments"]
        ]

    def holds_of(self, session_id: str) -> int:
        """The session's holds still leased past the stack's time (a released hold's lease
        ends when it is released; a moved appointment's, HOLD_AFTER_MOVE later, while the
        schedule mirror catches up)."""
        now = datetime.fromisoformat(
            requests.get(f"{self.url}/dev/clock", timeout=TIMEOUT).json()["now"]
        )
        until = (now + HOLD_AFTER_MOVE).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        items = self.app_table.scan(
            FilterExpression=Attr("sk").eq("HOLD") & Attr("session_id").eq(session_id)
        )["Items"]
        return sum(1 for item in items if str(item["lease_until"]) > until)

    def next_appointment(self) -> str:
        return next(self._appointments)

    # one scenario
    def run(self, scenario: Scenario) -> Outcome:
        outcome = Outcome(scenario)
        started = time.monotonic()
        appointment_id = self.next_appointment()
        before = self.appointment(appointment_id)
        phone = requests.Session()
        try:
            # A fault of the send is armed before it, the others once the page is shown
            # (the page and the send read the provider too)
            if scenario.step == "send":
                for fault in scenario.faults:
                    self.arm(fault)
            session = self.send(appointment_id)
            link = self.link(session)
            page = _open(phone, link)
            if scenario.step != "send":
                for fault in scenario.faults:
                    self.arm(fault)
            if scenario.expire:
                self._expire(session, appointment_id, scenario.expire)
            else:
                self._confirm(phone, link, page, session["id"])
            status = self._settle(session["id"], started)
        finally:
            self.disarm()
        outcome.seconds = time.monotonic() - started
        outcome.status = status
        outcome.final = status in FINAL
        picks = 1
        while status == "viewed" and picks < 4:
            # Handed back to pick again (the time was taken meanwhile: another scenario's
            # move, which the mirror had not seen): another time, as a customer would
            self._confirm(phone, link, _open(phone, link), session["id"], choice=picks)
            picks += 1
            outcome.status = status = self._settle(session["id"], started)
            outcome.final = status in FINAL
        if not outcome.final:
            outcome.problems.append(f"not final: {status}")
        final = self.session(session["id"])
        self._check_messages(outcome, final, before)
        endings = [e["type"] for e in final["timeline"] if e["type"] in FINAL]
        if len(endings) > 1:
            outcome.problems.append(f"ended more than once: {endings}")
        outcome.holds_left = self.holds_of(session["id"])
        outcome.lock_left = not self._lock_free(appointment_id)
        return outcome

    def _confirm(
        self, phone: requests.Session, link: str, page: str, session_id: str, choice: int = 0
    ) -> None:
        """Confirms a time the page offers (the first; with `choice`, a later one), and waits
        until that was taken in."""
        slots = page_slots(page)
        if not slots:
            raise RuntimeError("the page offers no time")
        for _ in range(3):  # an error page: the customer taps Confirm again
            answer = phone.post(
                f"{link}/confirm",
                data={"slot": slots[-1 - (choice - 1) if choice else 0]},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
            if answer.status_code == 303:
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"confirm answered {answer.status_code}")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.session(session_id)["status"] not in ("link_sent", "viewed"):
                return
            time.sleep(0.2)

    def _expire(self, session: dict[str, Any], appointment_id: str, how: str) -> None:
        fire = json.dumps({"session_id": session["id"]})
        if how == "early":
            # Fired before its time (and gone, as a fired one-time schedule is)
            self.lambdas.invoke(FunctionName=self.expire_function, Payload=fire)
            self.scheduler.delete_schedule(
                Name=f"session-{session['id']}", GroupName=self.schedule_group
            )
            self.advance("PT13H")  # past the link's time: whatever touches it next expires it
            self._lock_free(appointment_id, keep=False)
        else:
            self.advance("PT13H")  # due: the pump fires it; then it fires again
            self.lambdas.invoke(FunctionName=self.expire_function, Payload=fire)

    def _settle(self, session_id: str, started: float) -> str:
        """Waits for a final status (or the link open again); past a minute confirming, moves
        the clock past the watchdog's grace, as its next round would find it."""
        moved = False
        while time.monotonic() - started < BOUND_SECONDS:
            status = str(self.session(session_id)["status"])
            if status in FINAL or status == "viewed":
                return status
            if status == "confirming" and not moved and time.monotonic() - started > 45:
                self.advance("PT3M")
                moved = True
            time.sleep(0.5)
        return str(self.session(session_id)["status"])

    def _lock_free(self, appointment_id: str, keep: bool = False) -> bool:
        """A new link can be sent for the appointment (canceled again at once)."""
        answer = self.console.post(
            f"{self.url}/api/sessions", json={"appointment_id": appointment_id}, timeout=TIMEOUT
        )
        if answer.status_code != 201:
            return False
        if not keep:
            self.console.post(
                f"{self.url}/api/sessions/{answer.json()['id']}/cancel", timeout=TIMEOUT
            )
        return True

    def _check_messages(
        self, outcome: Outcome, session: dict[str, Any], before: dict[str, Any]
    ) -> None:
        now = self.appointment(before["id"])
        moved = (now["start"], now["technician"]["id"]) != (
            before["start"],
            before["technician"]["id"],
        )
        texts = [t["body"] for t in self.texts_to(session["customer_phone"])]
        confirmed = any("is now" in body or "all set" in body.lower() for body in texts)
        outcome.message_matches = confirmed == (session["status"] == "completed")
        outcome.where_matches = moved == (session["status"] == "completed")
        if not outcome.message_matches:
            outcome.problems.append(f"texts do not match {session['status']}: {texts[-1:]}")
        if not outcome.where_matches:
            outcome.problems.append(f"appointment moved={moved}, session {session['status']}")


def _open(phone: requests.Session, link: str) -> str:
    """The page as the customer's phone shows it (the link bound to it first)."""
    page = phone.get(link, timeout=TIMEOUT)
    if "id='open'" in page.text:
        phone.post(f"{link}/open", timeout=TIMEOUT)
        page = phone.get(link, timeout=TIMEOUT)
    return page.text


# The matrix -----------------------------------------------------------------------------


def scenarios() -> list[Scenario]:
    found = [Scenario("none", "none")]
    steps = {
        "send": "send_link.handler",
        "hold": "confirm.hold",
        "check": "confirm.check",
        "move": "confirm.move",
        "finalize": "confirm.finalize",
    }
    for step, function in steps.items():
        for kind, when in (("killed", "before"), ("killed", "after"), ("timed_out", "after")):
            found.append(
                Scenario(
                    step,
                    f"function {kind} {when}",
                    (Fault("function", function, kind, when=when),),
                )
            )
    # Compensate runs when Check finds the appointment changed; then it is killed too
    for kind, when in (("killed", "before"), ("killed", "after")):
        found.append(
            Scenario(
                "compensate",
                f"function {kind} {when}",
                (
                    Fault("provider", "get_appointment", "conflict"),
                    Fault("function", "confirm.compensate", kind, when=when),
                ),
            )
        )
    provider, aws = "provider", "aws"
    conflict, throttled = "TransactionCanceledException", "ThrottlingException"
    found += [
        Scenario(
            "check", "provider down", (Fault(provider, "technician_schedule", "unavailable", 200),)
        ),
        Scenario(
            "check",
            "provider 429 twice",
            (Fault(provider, "technician_schedule", "rate_limited", 2),),
        ),
        Scenario(
            "move", "provider down", (Fault(provider, "move_appointment", "unavailable", 200),)
        ),
        Scenario(
            "move",
            "provider accepts, answer lost",
            (Fault(provider, "move_appointment", "answer_lost", 200),),
        ),
        Scenario(
            "move",
            "provider: changed elsewhere",
            (Fault(provider, "move_appointment", "conflict"),),
        ),
        Scenario(
            "send", "transaction conflict x2", (Fault(aws, "TransactWriteItems", conflict, 2),)
        ),
        Scenario(
            "confirm", "transaction conflict x8", (Fault(aws, "TransactWriteItems", conflict, 8),)
        ),
        Scenario("send", "scheduler throttled x2", (Fault(aws, "CreateSchedule", throttled, 2),)),
        Scenario(
            "finalize", "scheduler throttled x3", (Fault(aws, "DeleteSchedule", throttled, 3),)
        ),
        Scenario("expire", "fired early", expire="early"),
        Scenario("expire", "fired twice", expire="twice"),
    ]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the scenarios whose step or fault contains this")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    plan = load_plan(START.date())
    log = Path(tempfile.gettempdir()) / "fault-matrix-stack.log"
    print(f"The stack's log: {log}", flush=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        log.open("w") as out,
        redirect_stdout(out),
        redirect_stderr(out),
    ):
        logging.basicConfig(level=logging.WARNING, stream=out)
        seed_file = Path(folder) / "seed.json"
        seed_file.write_text(json.dumps(plan.seed))
        stack = LocalStack(
            StackConfig(
                port=0,
                cdk_out=ROOT / "cdk.out",
                seed_file=seed_file,
                clock=START.isoformat(),
                watchdog_seconds=2,
            )
        )
        stack.start()
        try:
            harness = Harness(stack, list(plan.choosers))
            chosen = [
                s
                for s in scenarios()
                if not args.only or args.only in s.step or args.only in s.fault
            ]
            outcomes = []
            for scenario in chosen:
                outcomes.append(harness.run(scenario))
                print(
                    f"{scenario.step} / {scenario.fault}: {outcomes[-1].status}",
                    file=sys.__stdout__,
                    flush=True,
                )
            overlaps = overlapping(harness.bookings())
        finally:
            stack.stop()
    return report(outcomes, overlaps)


def report(outcomes: list[Outcome], overlaps: list[Any]) -> int:
    print(f"\n{'step':<11} {'fault':<34} {'status':<10} {'s':>5}  checks")
    for o in outcomes:
        checks = (
            "ok"
            if not o.problems and not o.lock_left and not o.holds_left
            else "; ".join(
                [
                    *o.problems,
                    *(["lock left"] if o.lock_left else []),
                    *(["hold left"] if o.holds_left else []),
                ]
            )
        )
        print(
            f"{o.scenario.step:<11} {o.scenario.fault:<34} {o.status:<10} {o.seconds:>5.1f}  {checks}"
        )
    injected = sum(1 for o in outcomes if o.scenario.fault != "none")
    final = sum(o.final for o in outcomes)
    locks = sum(o.lock_left for o in outcomes)
    holds = sum(o.holds_left for o in outcomes)
    messages = sum(not (o.message_matches and o.where_matches) for o in outcomes)
    print(
        f"\nFaults injected: {injected} (in {len(outcomes)} scenarios); sessions final: "
        f"{final} of {len(outcomes)} (within {BOUND_SECONDS} s each); locks leaked: {locks}; "
        f"holds leaked: {holds}; overlapping appointments: {len(overlaps)}; last messages "
        f"not matching what happened: {messages}"
    )
    ok = final == len(outcomes) and not locks and not holds and not overlaps and not messages
    print("All hold." if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
