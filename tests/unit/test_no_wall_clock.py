"""No decision reads the wall clock: the product, the local stack and the tests read a `Clock`.

Time is a port (`domain.ports.Clock`): `SystemClock` in AWS, the settable `LocalClock` in the
local stack (`/dev/clock`), a pinned one in tests. A test that decides by the hour it runs
passes or fails at random in CI, and code that reads the machine's clock behind the port
ignores `/dev/clock`. Every remaining read of the machine's clock says why on its line,
`# wall clock: <why>`, on it or just above (what is waited out in real seconds: a token's
life, a rate limit).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("layers/shared/python", "functions", "local", "tests", "bench", "infra")
# module.function calls that read the machine's clock (time.monotonic and perf_counter
# measure durations, which is fine).
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "gmtime"),
    ("time", "localtime"),
    ("time", "strftime"),
}
MARK = "# wall clock:"


def wall_clock_reads(source: str) -> list[int]:
    """Line numbers of calls reading the machine's clock that do not say why."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if (name, node.func.attr) not in WALL_CLOCK:
            continue
        # time.strftime / gmtime with an explicit moment format that moment, not now.
        if node.func.attr in {"strftime", "gmtime", "localtime"} and len(node.args) >= (
            2 if node.func.attr == "strftime" else 1
        ):
            continue
        # the call's lines, and the comment line just above it
        span = lines[max(node.lineno - 2, 0) : (node.end_lineno or node.lineno)]
        if not any(MARK in line for line in span):
            found.append(node.lineno)
    return found


def _python_files() -> list[Path]:
    return sorted(
        path
        for folder in SCANNED
        for path in (ROOT / folder).rglob("*.py")
        if "node_modules" not in path.parts and "cdk.out" not in path.parts
    )


def test_no_code_reads_the_wall_clock_without_saying_why() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files()
        for line in wall_clock_reads(path.read_text())
    ]
    assert unexplained == [], (
        "these read the machine's clock; take a Clock (or the stack's: tests/e2e stack_now), "
        f"or say why real time is right with `{MARK} <why>`: {unexplained}"
    )


def test_the_check_finds_each_kind_of_read_and_accepts_a_reason() -> None:
    source = "\n".join(
        [
            "from datetime import datetime, date",
            "import time",
            "a = datetime.now(UTC)",
            "b = date.today()",
            "c = time.time()",
            "d = datetime.datetime.utcnow()",
            "e = time.monotonic()",
            "f = time.time()  # wall clock: a token's life is real seconds",
            "g = time.strftime('%H', time.gmtime(0))",
            "h = clock.now()",
            "# wall clock: a rate limit resets in real seconds",
            "i = time.time()",
            "j = 1",
            "k = time.time()",
        ]
    )
    assert wall_clock_reads(source) == [3, 4, 5, 6, 14]
