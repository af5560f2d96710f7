"""Reading `python -X importtime` output (bench/bench_cold_start.py)."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest

from bench.bench_cold_start import (
    FLOORS,
    Floor,
    ImportJob,
    ImportLine,
    discover_handlers,
    floor_job,
    floor_of,
    handler_job,
    heaviest_imports,
    import_time_us,
    lambda_environment,
    parse_importtime,
    time_import,
)

# The shape CPython prints: children before their parent, two spaces of indent per level.
SAMPLE = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:       300 |        300 | json
import time:        50 |         50 |       botocore.compat
import time:       400 |        450 |     botocore
import time:       900 |       1350 |   boto3
a warning someone printed on stderr
import time:        80 |         80 |     json.decoder
import time:       200 |        280 |   helpers
import time:      1000 |       2630 | handler
"""


def test_every_import_line_is_read_with_its_depth_and_times() -> None:
    lines = parse_importtime(SAMPLE)

    assert [(line.name, line.depth) for line in lines] == [
        ("_io", 1),
        ("json", 0),
        ("botocore.compat", 3),
        ("botocore", 2),
        ("boto3", 1),
        ("json.decoder", 2),
        ("helpers", 1),
        ("handler", 0),
    ]
    assert (lines[-1].self_us, lines[-1].cumulative_us) == (1000, 2630)


def test_the_import_time_is_the_top_level_cumulative_one() -> None:
    assert import_time_us(parse_importtime(SAMPLE), "handler") == 2630
    assert import_time_us(parse_importtime(SAMPLE), "json") == 300


def test_a_module_only_imported_underneath_another_is_not_a_top_level_import() -> None:
    with pytest.raises(ValueError, match="boto3 was not imported at the top level"):
        import_time_us(parse_importtime(SAMPLE), "boto3")


def test_heaviest_imports_are_those_under_the_module_by_cumulative_time() -> None:
    lines = parse_importtime(SAMPLE)

    heaviest = heaviest_imports(lines, "handler", count=3)

    # json (a top-level import before handler's) is not one of handler's; depth 3 is too deep
    assert [line.name for line in heaviest] == ["boto3", "botocore", "helpers"]


def test_a_real_interpreter_s_output_parses() -> None:
    with tempfile.TemporaryDirectory() as empty:
        environment = lambda_environment([], empty, "test")
        lines = time_import("json", empty, environment)

    assert import_time_us(lines, "json") > 0
    assert any(line.name == "json.decoder" and line.depth > 0 for line in lines)


def test_a_module_that_fails_to_import_is_an_error() -> None:
    with tempfile.TemporaryDirectory() as empty:
        environment = lambda_environment([], empty, "test")
        with pytest.raises(RuntimeError, match="importing no_such_module_here"):
            time_import("no_such_module_here", empty, environment)


def test_every_handler_module_is_found_with_a_service_name() -> None:
    handlers = {handler.label: handler for handler in discover_handlers()}

    assert "functions/portal/handler.py" in handlers
    assert "functions/confirm/check.py" in handlers
    assert all(h.environment.get("POWERTOOLS_SERVICE_NAME") for h in handlers.values())


EVERY_FUNCTION, API_FUNCTION = FLOORS


def _loaded_modules(job: ImportJob) -> set[str]:
    """Every module in sys.modules after the job's import (-X importtime misses a few)."""
    script = f"import {job.module}, sys; print('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=job.cwd,
        env=job.environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def _imported(*names: str) -> list[ImportLine]:
    return [ImportLine(self_us=1, cumulative_us=1, depth=0, name=name) for name in names]


def test_a_handler_whose_resolver_validates_is_measured_against_the_api_floor() -> None:
    floors = {EVERY_FUNCTION: 1.6, API_FUNCTION: 1.55}  # a noisy run: the ratios don't decide

    validating = "aws_lambda_powertools.event_handler.middlewares.openapi_validation"
    api = floor_of(_imported("boto3", validating, "handler"), floors)
    other = floor_of(_imported("boto3", "aws_lambda_powertools.event_handler", "handler"), floors)

    assert api == (API_FUNCTION, 1.55)
    assert other == (EVERY_FUNCTION, 1.6)


# The JSON API's functions: their resolver validates (api.http.json_resolver).
API_FUNCTIONS = {
    "connections",
    "dispatcher_api",
    "dispatcher_move",
    "provider_webhooks",
    "send_link",
    "session_actions",
    "settings",
    "team",
    "webhooks",
}
EXPECTED_FLOORS = {
    handler.label: API_FUNCTION if handler.folder in API_FUNCTIONS else EVERY_FUNCTION
    for handler in discover_handlers()
}


def test_the_api_functions_named_here_are_handlers() -> None:
    folders = {handler.folder for handler in discover_handlers()}
    assert folders >= API_FUNCTIONS
    assert "portal" in folders  # pages: a resolver without validation, every function's floor


@pytest.mark.parametrize(("label", "floor"), sorted(EXPECTED_FLOORS.items()))
def test_a_floor_is_a_lower_bound_every_module_it_imports_the_handler_imports(
    label: str, floor: Floor
) -> None:
    # Given a handler and the floor it is measured against (the libraries alone)
    handler = next(h for h in discover_handlers() if h.label == label)

    # When both are imported as the benchmark imports them
    floor_modules = _loaded_modules(floor_job(floor)) - {f.module for f in FLOORS}
    handler_modules = _loaded_modules(handler_job(handler))

    # Then the handler loads every module the floor does (so it cannot import faster), and
    # the floor the benchmark picks for it (by its -X importtime lines) is that one
    missing = floor_modules - handler_modules
    assert not missing, f"{label} does not load {sorted(missing)[:10]}"
    picked = floor_of(handler_job(handler).run(), {EVERY_FUNCTION: 1.0, API_FUNCTION: 2.0})
    assert picked is not None
    assert picked[0] == floor
