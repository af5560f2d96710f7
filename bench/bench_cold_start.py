"""Cold start budget: `python bench/bench_cold_start.py` (or `make bench`).

For every Lambda handler module (each functions/<folder>/*.py that defines lambda_handler),
the time to import it, measured by `python -X importtime` in a fresh interpreter, as a ratio
to importing boto3 alone in a fresh interpreter in the same run. The budget is on this
code's own share: each handler at most APP_SHARE_BUDGET (0.75) x boto3 above its floor (the
libraries alone measured 1.59x and 2.05x, so 1.5x overall was out of reach by their choice;
the customer's first tap is covered by the portal's SnapStart instead: docs/performance.md).

Each import runs as Lambda would run it: the function's folder, the shared layer and the
dependencies on PYTHONPATH, the current directory the function's folder, the function's
environment from the synthesized template (cdk.out; defaults when it is missing), and the
variables the Lambda runtime sets (LAMBDA_TASK_ROOT and friends). LAMBDA_TASK_ROOT matters:
with it, the X-Ray recorder samples locally as in Lambda, instead of building X-Ray clients
for centralized sampling as it does anywhere else. Bytecode is compiled by a warm-up round,
so the figures compare imports, not compilation. Rounds alternate boto3 and every handler,
so a busy moment on the machine hits all of them; the table gives medians.

Two floors are timed the same way and shown, not judged: bench/floors/ imports
only the libraries every function imports before any of this app's code (and, for the API
functions, Powertools' event handler as well). A handler's "app" column is its ratio above
its floor: the share this code controls.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local.template import Template  # noqa: E402 -- needs the repository on sys.path

FUNCTIONS_DIR = ROOT / "functions"
FLOORS_DIR = ROOT / "bench" / "floors"
SHARED_LAYER = ROOT / "layers" / "shared" / "python"
CDK_OUT = ROOT / "cdk.out"
# A handler's import time above its floor, as a ratio to boto3's: the share this code
# controls. The worst measured on 21 Nov 2026 was 0.66 (the portal); this keeps it from
# growing, with room for one shared machine's noise.
APP_SHARE_BUDGET = 0.75
REGION = "us-east-1"
# What the factory gives every function (infra/lambda_factory.py), for when cdk.out is missing.
DEFAULT_ENVIRONMENT = {
    "POWERTOOLS_METRICS_NAMESPACE": "RescheduleDispatch",
    "LOG_LEVEL": "INFO",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportLine:
    """One line of `-X importtime` output: times in microseconds, depth 0 for the top level."""

    self_us: int
    cumulative_us: int
    depth: int
    name: str


def parse_importtime(stderr: str) -> list[ImportLine]:
    """The import lines of `python -X importtime` output, in printed order (children first).

    Other lines (the header, anything the program itself wrote to stderr) are skipped.
    """
    lines = []
    for text in stderr.splitlines():
        match = _IMPORT_LINE.match(text)
        if match:
            lines.append(
                ImportLine(
                    self_us=int(match[1]),
                    cumulative_us=int(match[2]),
                    depth=(len(match[3]) - 1) // 2,
                    name=match[4],
                )
            )
    return lines


def _top_level_index(lines: list[ImportLine], module: str) -> int:
    for index, line in enumerate(lines):
        if line.depth == 0 and line.name == module:
            return index
    raise ValueError(f"{module} was not imported at the top level")


def import_time_us(lines: list[ImportLine], module: str) -> int:
    """The cumulative import time of a module imported at the top level."""
    return lines[_top_level_index(lines, module)].cumulative_us


def heaviest_imports(
    lines: list[ImportLine], module: str, count: int = 10, max_depth: int = 2
) -> list[ImportLine]:
    """The imports under a top-level module (down to max_depth) with the most cumulative time."""
    end = _top_level_index(lines, module)
    start = end
    while start > 0 and lines[start - 1].depth > 0:
        start -= 1
    nested = [line for line in lines[start:end] if line.depth <= max_depth]
    return sorted(nested, key=lambda line: line.cumulative_us, reverse=True)[:count]


@dataclass(frozen=True)
class HandlerModule:
    folder: str  # functions/<folder>, the function's code asset
    module: str  # the module Lambda imports: handler, check, hold...
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"functions/{self.folder}/{self.module}.py"

    @property
    def code_dir(self) -> Path:
        return FUNCTIONS_DIR / self.folder


@dataclass(frozen=True)
class Floor:
    label: str
    module: str  # under bench/floors/
    # A handler has this floor when it imports this module (None: every handler).
    applies_with: str | None = None


FLOORS = (
    Floor("floor: every function's libraries", "every_function"),
    # The validating resolver's middleware marks the JSON API's functions (the portal renders
    # pages without validating them against models: its floor is every function's).
    Floor(
        "floor: and the API's event handler",
        "api_function",
        "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    ),
)


def floor_of(lines: list[ImportLine], floors: dict[Floor, float]) -> tuple[Floor, float] | None:
    """A handler's floor (the last of FLOORS its import lines qualify it for: each builds on
    the one before), with its ratio."""
    imported = {line.name for line in lines}
    applicable = [
        (floor, floors[floor])
        for floor in FLOORS
        if floor in floors and (floor.applies_with is None or floor.applies_with in imported)
    ]
    return applicable[-1] if applicable else None


def discover_handlers() -> list[HandlerModule]:
    """Every handler module under functions/, with its environment from the template."""
    templated: dict[tuple[str, str], dict[str, str]] = {}
    if (CDK_OUT / "RescheduleDispatch.template.json").exists():
        for spec in Template.load(CDK_OUT).functions().values():
            _, folder, module = spec.module.split(".")
            templated[(folder, module)] = spec.environment
    handlers = []
    for path in sorted(FUNCTIONS_DIR.glob("*/*.py")):
        if "def lambda_handler" not in path.read_text():
            continue
        folder, module = path.parent.name, path.stem
        environment = templated.get((folder, module)) or {
            **DEFAULT_ENVIRONMENT,
            "POWERTOOLS_SERVICE_NAME": folder if module == "handler" else f"{folder}_{module}",
        }
        handlers.append(HandlerModule(folder, module, environment))
    return handlers


def lambda_environment(python_path: list[str], task_root: str, name: str) -> dict[str, str]:
    """A clean environment with what the Lambda runtime sets (nothing from this shell)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(python_path),
        "LAMBDA_TASK_ROOT": task_root,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    }


def time_import(module: str, cwd: str, environment: dict[str, str]) -> list[ImportLine]:
    """Imports module in a fresh interpreter; its -X importtime lines."""
    result = subprocess.run(  # noqa: S603 -- this interpreter, a fixed import statement
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} in {cwd} failed:\n{result.stderr[-3000:]}")
    return parse_importtime(result.stderr)


@dataclass
class Measured:
    label: str
    samples_us: list[int] = field(default_factory=list)
    last: list[ImportLine] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_us) / 1000


@dataclass(frozen=True)
class ImportJob:
    """One module to import in a fresh interpreter: from where, with what environment."""

    module: str
    cwd: str
    environment: dict[str, str]

    def run(self) -> list[ImportLine]:
        return time_import(self.module, self.cwd, self.environment)


SITE_PACKAGES = sysconfig.get_paths()["purelib"]
Job = tuple[Measured, ImportJob]


def handler_job(handler: HandlerModule) -> ImportJob:
    code = str(handler.code_dir)
    path = [code, str(SHARED_LAYER), SITE_PACKAGES]
    environment = {**lambda_environment(path, code, handler.folder), **handler.environment}
    return ImportJob(handler.module, code, environment)


def floor_job(floor: Floor) -> ImportJob:
    folder = str(FLOORS_DIR)
    environment = {
        **lambda_environment([folder, SITE_PACKAGES], folder, floor.module),
        **DEFAULT_ENVIRONMENT,
        "POWERTOOLS_SERVICE_NAME": floor.module,
    }
    return ImportJob(floor.module, folder, environment)


# boto3 alone is imported again after every this many modules: the ratio's denominator then
# has several samples a round, taken across the round, so one busy moment moves it less.
BASELINE_EVERY = 4


def measure(
    handlers: list[HandlerModule], rounds: int
) -> tuple[Measured, list[Measured], list[Measured]]:
    """boto3 alone, the floors and the handlers: medians of their fresh imports over rounds."""
    with tempfile.TemporaryDirectory() as empty:
        boto3_alone = ImportJob("boto3", empty, lambda_environment([SITE_PACKAGES], empty, "boto3"))
        baseline = Measured("boto3 alone")
        measured_jobs = [
            *((Measured(floor.label), floor_job(floor)) for floor in FLOORS),
            *((Measured(handler.label), handler_job(handler)) for handler in handlers),
        ]
        jobs = interleave((baseline, boto3_alone), measured_jobs, BASELINE_EVERY)
        for round_number in range(rounds + 1):  # round 0 compiles bytecode and is not counted
            for measured, job in jobs:
                lines = job.run()
                if round_number:
                    measured.samples_us.append(import_time_us(lines, job.module))
                    measured.last = lines
    rest = [measured for measured, _ in measured_jobs]
    return baseline, rest[: len(FLOORS)], rest[len(FLOORS) :]


def interleave(first: Job, jobs: list[Job], every: int) -> list[Job]:
    """first, then the jobs with first again after every `every` of them (and at the end)."""
    order = [first]
    for start in range(0, len(jobs), every):
        order += [*jobs[start : start + every], first]
    return order


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (medians of these)")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument(
        "--explain", action="store_true", help="the heaviest imports of every handler"
    )
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds

    handlers = discover_handlers()
    if not handlers:
        print("No handler modules found under functions/.")
        return 1
    print(f"Python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    if not (CDK_OUT / "RescheduleDispatch.template.json").exists():
        print("(cdk.out is missing: functions get the factory's default environment)")
    baseline, floor_results, results = measure(handlers, rounds)
    floors = {
        floor: measured.median_ms / baseline.median_ms
        for floor, measured in zip(FLOORS, floor_results, strict=True)
    }

    width = max(len(r.label) for r in [*floor_results, *results])
    print(f"\nCold start: import time, median of {rounds} fresh interpreters each")
    print(f"  {'module':<{width}} {'import ms':>10} {'x boto3':>8} {'app':>6}")
    print(f"  {baseline.label:<{width}} {baseline.median_ms:>10.1f} {1:>8.2f}")
    for floor, measured in zip(FLOORS, floor_results, strict=True):
        print(f"  {floor.label:<{width}} {measured.median_ms:>10.1f} {floors[floor]:>8.2f}")
    over = []
    for result in results:
        ratio = result.median_ms / baseline.median_ms
        own = floor_of(result.last, floors)
        share = ratio - own[1] if own else ratio
        flag = "  OVER" if share > APP_SHARE_BUDGET else ""
        print(
            f"  {result.label:<{width}} {result.median_ms:>10.1f} {ratio:>8.2f} {share:+6.2f}{flag}"
        )
        if share > APP_SHARE_BUDGET:
            over.append(result)
    print("  (app: above the handler's floor, the share of this app's own code)")

    # The heaviest imports of the worst two over budget (of every handler with --explain).
    worst = sorted(over, key=lambda r: r.median_ms, reverse=True)[:2]
    for result in results if args.explain else worst:
        module = Path(result.label).stem
        print(f"\nHeaviest imports of {result.label} (cumulative ms, last round):")
        for line in heaviest_imports(result.last, module):
            print(f"  {line.cumulative_us / 1000:8.1f}  {'  ' * (line.depth - 1)}{line.name}")

    if over:
        print(
            f"\nFAILED: {len(over)} handler(s) more than {APP_SHARE_BUDGET}x boto3's import "
            "time above their floor"
        )
        return 1
    print(f"\nWithin budget (every handler at most {APP_SHARE_BUDGET}x boto3 above its floor).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
