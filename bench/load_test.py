"""Load test of the local stack: `python bench/load_test.py` (or `make load`).

Starts the stack as `make dev` does (`python -m local`, here on a free loopback port) with
the data of bench/load_seed.py, sends 220 links through the API, then lets 220 customers
loose at once, each on its own thread and connection, doing what a phone does:
- 200 of them open their page, report the view, tap a time, confirm it, and follow the
  page (it refreshes every 2 s while confirming) until it is settled. They tap different
  times: a shared claim book keeps two customers of one technician at least 30 minutes
  apart (the longest drive the business allows), so one customer's move cannot make
  another's time unreachable. When a time is taken anyway, they pick again, as a person
  would from the page that says so.
- 20 racers open their pages, wait for each other, and confirm the same time at once
  (one shown on all 20 pages). One must win; the others see their page again and pick
  another time.

Then it checks, through the API: no answer was a 5xx (nor a connection error), every
session is in a final state, no two appointments of a technician overlap in the provider,
and exactly one racer got the raced time. It reports throughput and p50/p99 per kind of
request. Every function runs in one local execution environment (one request at a time,
as local/lambda_runtime.py does), so at 220 customers the latencies are mostly waiting in
that queue: the figures compare runs on one machine, they do not predict AWS. Bounded:
the stack must be up within 90 s and the customers done within 240 s.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402 -- after the path setup above

from bench.load_seed import NAME_MARK, TIME_ZONE, LoadPlan, load_plan  # noqa: E402
from bench.stats import percentile  # noqa: E402

START_TIMEOUT_SECONDS = 90
CUSTOMERS_TIMEOUT_SECONDS = 240
SETTLE_TIMEOUT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 120
REFRESH_SECONDS = 2.0  # the confirming page's <meta http-equiv="refresh">
GAP_MINUTES = 30  # the business's max_drive_minutes (buffer 0): see the module docstring
MAX_PICKS = 6
SEND_WORKERS = 10
FINAL_STATUSES = frozenset({"completed", "failed", "expired", "canceled"})

# Pages -----------------------------------------------------------------------------------

_SLOT_LINK = re.compile(r"<a class='slot' href='([^']*)'")


def page_slots(page: str) -> list[str]:
    """The `slot` values of the times a customer page offers, in page order."""
    slots = []
    for href in _SLOT_LINK.findall(page):
        values = parse_qs(urlsplit(html.unescape(href)).query).get("slot")
        if values:
            slots.append(values[0])
    return slots


def is_confirming(page: str) -> bool:
    """The page of a session whose confirm workflow is running: it refreshes by itself."""
    return 'http-equiv="refresh"' in page


def parse_slot(slot: str) -> tuple[datetime, str]:
    """A slot value (`20261125T163000Z.tech-1`): its start in UTC and its technician."""
    stamp, _, technician = slot.partition(".")
    if not technician:
        raise ValueError(f"not a slot value: {slot!r}")
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), technician


# Bookkeeping ----------------------------------------------------------------------------


class SlotClaims:
    """Times the customers are trying for, so that no two pick times that could collide.

    A claim is refused when the technician already has a claim within `gap` of it.
    """

    def __init__(self, gap: timedelta) -> None:
        self._gap = gap
        self._lock = threading.Lock()
        self._claims: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)

    def claim(self, technician: str, start: datetime, end: datetime) -> bool:
        with self._lock:
            taken = self._claims[technician]
            if any(start < e + self._gap and s < end + self._gap for s, e in taken):
                return False
            taken.append((start, end))
            return True

    def release(self, technician: str, start: datetime) -> None:
        with self._lock:
            self._claims[technician] = [c for c in self._claims[technician] if c[0] != start]


@dataclass(frozen=True)
class Booking:
    technician: str
    start: datetime
    end: datetime
    label: str


def overlapping(bookings: Iterable[Booking]) -> list[tuple[Booking, Booking]]:
    """Pairs of one technician's bookings that overlap (half-open intervals)."""
    by_technician: dict[str, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_technician[booking.technician].append(booking)
    pairs = []
    for items in by_technician.values():
        items.sort(key=lambda b: b.start)
        latest: Booking | None = None  # the one ending last so far
        for booking in items:
            if latest is not None and booking.start < latest.end:
                pairs.append((latest, booking))
            if latest is None or booking.end > latest.end:
                latest = booking
    return pairs


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int  # 0: no answer (connection error, timeout)
    ms: float


class Recorder:
    """Every request's kind, status and time, from all threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: list[Sample] = []
        self.errors: list[str] = []

    def request(
        self, http: requests.Session, kind: str, method: str, url: str, **kwargs: Any
    ) -> requests.Response:
        started = time.perf_counter()
        try:
            response = http.request(
                method, url, timeout=REQUEST_TIMEOUT_SECONDS, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            self._add(Sample(kind, 0, (time.perf_counter() - started) * 1000))
            self.error(f"{kind}: {type(error).__name__}: {error}")
            raise
        self._add(Sample(kind, response.status_code, (time.perf_counter() - started) * 1000))
        if response.status_code >= 500:
            self.error(f"{kind}: HTTP {response.status_code}: {response.text[:200]}")
        return response

    def _add(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)


class Race:
    """The racers meet twice: when all have their page (the raced time is chosen then,
    from the times every page shows), and just before all confirm it."""

    def __init__(self, racers: int, claims: SlotClaims, minutes: int) -> None:
        self._pages: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._claims = claims
        self._minutes = minutes
        self.slot: str | None = None
        self.opened = threading.Barrier(racers, action=self._choose)
        self.go = threading.Barrier(racers)

    def shown(self, token: str, slots: Sequence[str]) -> None:
        with self._lock:
            self._pages[token] = set(slots)

    def _choose(self) -> None:
        common = set.intersection(*self._pages.values()) if self._pages else set()
        if common:
            self.slot = min(common)
            start, technician = parse_slot(self.slot)
            self._claims.claim(technician, start, start + timedelta(minutes=self._minutes))

    def abort(self) -> None:
        self.opened.abort()
        self.go.abort()


class LoadFailure(Exception):
    pass


# One customer ---------------------------------------------------------------------------


@dataclass
class Customer:
    base: str
    token: str
    appointment_id: str
    minutes: int
    claims: SlotClaims
    recorder: Recorder
    deadline: float
    rng: random.Random
    race: Race | None = None
    picks: int = 0
    first_confirm_won: bool | None = None  # racers: did the raced confirm stick
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"{self.base}/r/{self.token}"

    def get(self, kind: str, url: str) -> str:
        response = self.recorder.request(self.http, kind, "GET", url)
        if response.status_code != 200:
            raise LoadFailure(f"{kind} answered {response.status_code}")
        return response.text

    def run(self) -> None:
        try:
            # As a phone does: the first fetch shows only the business, the page's script
            # binds the link to this browser, then the page itself
            self.get("open link", self.url)
            opened = self.recorder.request(self.http, "bind browser", "POST", f"{self.url}/open")
            if opened.status_code != 303:
                raise LoadFailure(f"open answered {opened.status_code}")
            page = self.get("open page", self.url)
            viewed = self.recorder.request(self.http, "viewed", "POST", f"{self.url}/viewed")
            if viewed.status_code != 204:
                raise LoadFailure(f"viewed answered {viewed.status_code}")
            slots = page_slots(page)
            if self.race is not None:
                slots = self._race(slots)
            self._pick_until_settled(slots)
        except Exception:
            if self.race is not None:
                self.race.abort()
            raise
        finally:
            self.http.close()

    def _race(self, slots: list[str]) -> list[str]:
        assert self.race is not None
        self.race.shown(self.token, slots)
        self.race.opened.wait(timeout=self._left())
        slot = self.race.slot
        if slot is None:
            raise LoadFailure("no time is shown on every racer's page")
        self.get("confirm step", f"{self.url}?slot={slot}")
        self.race.go.wait(timeout=self._left())
        self.picks += 1
        self.first_confirm_won, slots = self._confirm(slot)
        return slots

    def _pick_until_settled(self, slots: list[str]) -> None:
        while slots:
            if self.picks >= MAX_PICKS:
                raise LoadFailure(f"no time stuck after {MAX_PICKS} picks")
            slot = self._claim_one(slots)
            if slot is None:
                raise LoadFailure("every time on the page collides with another customer's")
            self.picks += 1
            step = self.get("confirm step", f"{self.url}?slot={slot}")
            if f"value='{slot}'" not in step:  # gone since the page was shown
                self._release(slot)
                slots = page_slots(step)
                continue
            stuck, slots = self._confirm(slot)
            if stuck:
                return
            self._release(slot)
        if not self.first_confirm_won:  # a racer who won has nothing left to pick
            raise LoadFailure("the page offers no time to pick")

    def _confirm(self, slot: str) -> tuple[bool, list[str]]:
        """Confirms and follows the page until it settles: did the time stick, and the
        times the page offers again when it did not."""
        answer = self.recorder.request(
            self.http, "confirm", "POST", f"{self.url}/confirm", data={"slot": slot}
        )
        if answer.status_code == 422:  # taken between the tap and the confirm
            return False, page_slots(answer.text)
        if answer.status_code != 303:
            raise LoadFailure(f"confirm answered {answer.status_code}")
        page = self.get("page refresh", self.url)
        while is_confirming(page):
            time.sleep(min(REFRESH_SECONDS, self._left()))
            page = self.get("page refresh", self.url)
        # Taken meanwhile: the session is open again and the page offers other times.
        slots = page_slots(page)
        return not slots, slots

    def _claim_one(self, slots: list[str]) -> str | None:
        for slot in self.rng.sample(slots, len(slots)):
            start, technician = parse_slot(slot)
            if self.claims.claim(technician, start, start + timedelta(minutes=self.minutes)):
                return slot
        return None

    def _release(self, slot: str) -> None:
        start, technician = parse_slot(slot)
        self.claims.release(technician, start)

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise LoadFailure("out of time")
        return left


# The stack and the API ------------------------------------------------------------------


# Where the stack's clock starts (LOCAL_CLOCK), whatever the machine's hour: a Tuesday
# morning in the load test's zone; the plan's days follow it.
START = datetime(2026, 12, 8, 9, 0, tzinfo=ZoneInfo(TIME_ZONE))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stack(seed_file: Path, log_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m local` as `make dev` runs it, on a free port; waits until healthy."""
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SEED": str(seed_file),
        "LOCAL_CLOCK": START.isoformat(),
    }
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.RequestException:  # not accepting yet
            pass
        time.sleep(0.3)
    stop_stack(process)
    raise LoadFailure(f"the local stack did not start:\n{log_file.read_text()[-3000:]}")


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _dispatcher(url: str, email: str) -> requests.Session:
    http = requests.Session()
    answer = http.get(f"{url}/dev/token", params={"dispatcher": email}, timeout=10)
    answer.raise_for_status()
    http.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return http


def send_links(url: str, plan: LoadPlan, recorder: Recorder) -> dict[str, tuple[str, str]]:
    """appointment id -> (session id, token): one link per appointment, through the API."""
    local = threading.local()

    def send(appointment_id: str) -> tuple[str, tuple[str, str]]:
        if not hasattr(local, "http"):
            local.http = _dispatcher(url, plan.dispatcher)
        answer = recorder.request(
            local.http,
            "send link",
            "POST",
            f"{url}/api/sessions",
            json={"appointment_id": appointment_id},
        )
        if answer.status_code != 201:
            raise LoadFailure(f"send link answered {answer.status_code}: {answer.text[:300]}")
        body = answer.json()
        return appointment_id, (str(body["id"]), str(body["link"]).rsplit("/", 1)[-1])

    with ThreadPoolExecutor(SEND_WORKERS) as pool:
        return dict(pool.map(send, plan.choosers + plan.racers))


def session_statuses(http: requests.Session, url: str) -> dict[str, dict[str, Any]]:
    """Every session of the business (in progress and history), by id."""
    found: dict[str, dict[str, Any]] = {}
    for view in ("in_progress", "history"):
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"view": view, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            answer = http.get(f"{url}/api/sessions", params=params, timeout=30)
            answer.raise_for_status()
            body = answer.json()
            found.update({s["id"]: s for s in body["sessions"]})
            cursor = body.get("cursor")
            if not cursor:
                break
    return found


def provider_bookings(http: requests.Session, url: str) -> dict[str, Booking]:
    """Every load-test appointment as the provider has it now, by appointment id."""
    answer = http.get(f"{url}/api/customers", params={"q": NAME_MARK}, timeout=60)
    answer.raise_for_status()
    return {
        a["id"]: Booking(
            technician=a["technician"]["id"],
            start=datetime.fromisoformat(a["start"]),
            end=datetime.fromisoformat(a["end"]),
            label=a["id"],
        )
        for customer in answer.json()
        for a in customer["appointments"]
    }


# The run --------------------------------------------------------------------------------


@dataclass
class Findings:
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def check(self, ok: bool, failure: str) -> None:
        if not ok:
            self.failures.append(failure)


def _table(samples: Sequence[Sample]) -> list[str]:
    kinds: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        kinds[sample.kind].append(sample)
    lines = [f"  {'request':<13} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses"]
    for kind, items in kinds.items():
        ms = [s.ms for s in items]
        statuses = ", ".join(
            f"{k}: {v}" for k, v in sorted(Counter(s.status for s in items).items())
        )
        lines.append(
            f"  {kind:<13} {len(items):>5} {percentile(ms, 50):>8.1f} {percentile(ms, 99):>8.1f} "
            f"{max(ms):>8.1f}  {statuses}"
        )
    return lines


def run(plan: LoadPlan, url: str, seed: int) -> Findings:
    findings = Findings()
    setup = Recorder()
    started = time.monotonic()
    links = send_links(url, plan, setup)
    sent_seconds = time.monotonic() - started
    findings.lines += [
        f"Setup: {len(links)} links sent through the API in {sent_seconds:.1f} s "
        f"({SEND_WORKERS} at a time, {len(links) / sent_seconds:.1f}/s)",
        *_table(setup.samples),
    ]

    recorder = Recorder()
    claims = SlotClaims(timedelta(minutes=GAP_MINUTES))
    race_minutes = plan.minutes[plan.racers[0]]
    race = Race(len(plan.racers), claims, race_minutes)
    deadline = time.monotonic() + CUSTOMERS_TIMEOUT_SECONDS
    rng = random.Random(seed)  # noqa: S311 -- which time each customer taps, repeatably
    customers = [
        Customer(
            base=url,
            token=links[appointment][1],
            appointment_id=appointment,
            minutes=plan.minutes[appointment],
            claims=claims,
            recorder=recorder,
            deadline=deadline,
            rng=random.Random(rng.random()),  # noqa: S311
            race=race if appointment in plan.racers else None,
        )
        for appointment in plan.choosers + plan.racers
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(len(customers)) as pool:
        futures = {pool.submit(c.run): c for c in customers}
    elapsed = time.monotonic() - started
    # The same error for many customers is one line, with how many and a first example.
    errors: dict[str, list[str]] = defaultdict(list)
    for future, customer in futures.items():
        error = future.exception()
        if error is not None:
            errors[f"{type(error).__name__}: {error}"].append(customer.appointment_id)
    findings.failures += [f"{e} ({len(ids)}x, e.g. {ids[0]})" for e, ids in errors.items()]

    samples = recorder.samples
    repicks = sum(max(0, c.picks - 1) for c in customers)
    findings.lines += [
        "",
        f"Customers: {len(customers)} at once ({len(plan.choosers)} picking their own time, "
        f"{len(plan.racers)} racing for one): {len(samples)} requests in {elapsed:.1f} s = "
        f"{len(samples) / elapsed:.1f} requests/s, {len(customers) / elapsed:.2f} customers "
        f"done/s; {repicks} picked again after their time was taken",
        *_table(samples),
    ]

    # Settled: every session final (the workflows may still be finishing), then the checks.
    dispatcher = _dispatcher(url, plan.dispatcher)
    settle_by = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    sessions = session_statuses(dispatcher, url)
    while (
        any(s["status"] not in FINAL_STATUSES for s in sessions.values())
        and time.monotonic() < settle_by
    ):
        time.sleep(1)
        sessions = session_statuses(dispatcher, url)
    by_status = Counter(s["status"] for s in sessions.values())
    findings.lines += ["", "Sessions: " + ", ".join(f"{v} {k}" for k, v in by_status.items())]
    ours = {links[a][0] for a in links}
    findings.check(ours <= sessions.keys(), "some sessions are missing from the API's lists")
    findings.check(
        all(sessions[s]["status"] in FINAL_STATUSES for s in ours if s in sessions),
        f"not every session is final: {dict(by_status)}",
    )

    bookings = provider_bookings(dispatcher, url)
    findings.check(
        len(bookings) == len(links), f"the provider has {len(bookings)} of the appointments"
    )
    clashes = overlapping(bookings.values())
    for first, second in clashes[:10]:
        findings.failures.append(
            f"double booking: {first.label} and {second.label} of {first.technician} overlap"
        )
    moved_wrong = [
        a
        for a, (session_id, _) in links.items()
        if sessions.get(session_id, {}).get("status") == "completed"
        and a in bookings
        and datetime.fromisoformat(sessions[session_id]["new_start"]) != bookings[a].start
    ]
    findings.check(not moved_wrong, f"completed but not moved in the provider: {moved_wrong[:5]}")

    findings.check(race.slot is not None, "the race did not start")
    if race.slot is not None:
        start, technician = parse_slot(race.slot)
        holders = [
            b.label for b in bookings.values() if b.technician == technician and b.start == start
        ]
        winners = [c.appointment_id for c in customers if c.race and c.first_confirm_won]
        local = start.astimezone(ZoneInfo(TIME_ZONE))
        findings.lines.append(
            f"Race for {local:%a %d %b %H:%M %Z} with {technician}: won by {', '.join(winners) or 'nobody'}; "
            f"the provider has {', '.join(holders) or 'nobody'} there"
        )
        findings.check(len(winners) == 1, f"{len(winners)} racers won the raced time")
        findings.check(
            sorted(holders) == sorted(winners), "the raced time's holder is not the racer who won"
        )

    fives = [s for s in samples + setup.samples if s.status >= 500]
    unanswered = [s for s in samples + setup.samples if s.status == 0]
    findings.check(not fives, f"{len(fives)} answers were 5xx")
    findings.check(not unanswered, f"{len(unanswered)} requests got no answer")
    findings.failures += (recorder.errors + setup.errors)[:5]
    findings.lines.append(
        f"Checks: {len(fives)} 5xx, {len(unanswered)} unanswered, {len(clashes)} overlapping "
        f"appointments, {sum(by_status[s] for s in FINAL_STATUSES)} of {len(ours)} sessions final"
    )
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=8, help="the data and the customers' taps")
    parser.add_argument("--keep-log", action="store_true", help="keep the stack's log and seed")
    args = parser.parse_args()
    # Stopped by a signal (make, CI): still stop the stack (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    plan = load_plan(START.date(), seed=args.seed)
    folder = Path(tempfile.mkdtemp(prefix="load-test-"))
    seed_file, log_file = folder / "seed.json", folder / "stack.log"
    seed_file.write_text(json.dumps(plan.seed))
    started = time.monotonic()
    process, url = start_stack(seed_file, log_file)
    print(f"Local stack on {url} (up in {time.monotonic() - started:.1f} s; log {log_file})\n")
    try:
        findings = run(plan, url, args.seed)
    except LoadFailure as error:
        findings = Findings(failures=[str(error)])
    finally:
        stop_stack(process)
    print("\n".join(findings.lines))
    if findings.failures:
        print("\nFAILED:\n  " + "\n  ".join(findings.failures))
        print(f"(the stack's log: {log_file})")
        return 1
    if not args.keep_log:
        log_file.unlink(missing_ok=True)
        seed_file.unlink(missing_ok=True)
        folder.rmdir()
    print("\nPassed: no 5xx, no double booking, one racer won, every session final.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
