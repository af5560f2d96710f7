"""The console and the API count an SMS the same way, and as Twilio bills it.

The review screen counts segments as the dispatcher types (console/lib/sms.js) and the
preview route answers with the API's count (domain/messages.py): two copies of one rule.
Both run here on the vectors of sms_segments.json, each checked against the expected
characters, segments and encoding, so a fix to one copy fails until the other has it too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from reschedule_dispatch.domain.messages import count_segments, sms_encoding

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).with_name("sms_segments.json")
CONSOLE_SMS = ROOT / "console" / "lib" / "sms.js"

# sms.js is an ES module the browser loads as is (no package.json marks it as one for node):
# imported from a data: URL, it needs neither a build nor a copy.
MEASURE_ALL = """
const source = require("fs").readFileSync(process.argv[1], "utf8");
const url = "data:text/javascript;base64," + Buffer.from(source).toString("base64");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const { measure } = await import(url);
  process.stdout.write(JSON.stringify(JSON.parse(input).map(measure)));
});
"""


def vectors() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(VECTORS.read_text())["vectors"]
    return loaded


def body(vector: dict[str, Any]) -> str:
    if "parts" in vector:
        return "".join(piece * times for piece, times in vector["parts"])
    text: str = vector["text"]
    return text


def expected(vector: dict[str, Any]) -> tuple[int, int, str]:
    return vector["characters"], vector["segments"], vector["encoding"]


def measured_by_the_console(bodies: list[str]) -> list[tuple[int, int, str]]:
    """console/lib/sms.js's measure() of each body, in one node process."""
    node = shutil.which("node")
    assert node, "node is needed (make install installs the console's tools with npm)"
    result = subprocess.run(  # node, our script, the console's own module
        [node, "-e", MEASURE_ALL, str(CONSOLE_SMS)],
        input=json.dumps(bodies),  # ASCII with \\u escapes: surrogate pairs survive
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [(m["characters"], m["segments"], m["encoding"]) for m in json.loads(result.stdout)]


def test_the_console_and_the_api_count_every_vector_as_twilio_bills_it() -> None:
    cases = vectors()
    bodies = [body(vector) for vector in cases]
    console = measured_by_the_console(bodies)

    wrong = []
    for vector, text, by_console in zip(cases, bodies, console, strict=True):
        by_api = (len(text), count_segments(text), sms_encoding(text))
        for side, counted in (("domain/messages.py", by_api), ("console/lib/sms.js", by_console)):
            if counted != expected(vector):
                wrong.append(f"{side}: {vector['name']}: {counted} != {expected(vector)}")
    assert wrong == [], "(characters, segments, encoding) differ:\n" + "\n".join(wrong)


def test_the_vectors_cover_each_boundary_of_both_encodings() -> None:
    cases = vectors()
    names = [vector["name"] for vector in cases]
    assert len(set(names)) == len(names), "each vector's name says what it proves, once"
    lengths = {(v["encoding"], v["segments"]) for v in cases}
    # one and more segments in each encoding, and the third segment of each
    assert {("GSM-7", 1), ("GSM-7", 2), ("GSM-7", 3), ("UCS-2", 1), ("UCS-2", 2)} <= lengths
    assert ("UCS-2", 3) in lengths
    assert any(body(v) == "" for v in cases)
