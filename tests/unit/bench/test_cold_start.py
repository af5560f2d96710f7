"""Reading `python -X importtime` output (bench/bench_cold_start.py)."""

from __future__ import annotations

import tempfile

import pytest

from bench.bench_cold_start import (
    discover_handlers,
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
