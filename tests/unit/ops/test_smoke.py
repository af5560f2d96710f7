"""ops/smoke.py (`make smoke`) against a fake deployed stack on a local port: passes when every
part answers as AWS would, and fails, naming the check, when one part answers wrongly.

The fake plays the three hosts of a deployment on one origin: CloudFront's console under
/console/, the API's stage under /prod/ (and a link domain under /links/), and Cognito's
Hosted UI under /cognito/.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.wrappers import Request, Response

from ops.smoke import Target, main
from tests.serving import serve

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ID = "console-client"
NOT_FOUND_PAGE = "<!doctype html><title>Link not found</title><p>This link is not valid."


class FakeDeployment:
    """Answers as a healthy deployment does, except for the faults armed."""

    def __init__(self) -> None:
        self.faults: set[str] = set()
        self.authorize_asked: list[str] = []  # the Hosted UI requests' URLs

    def __call__(self, environ, start_response):
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        base, path, faults = request.host_url.rstrip("/"), request.path, self.faults
        if path == "/console/":
            if "no script" in faults:
                return html("<!doctype html><title>Reschedule Dispatch</title>")
            return html('<!doctype html><script type="module" src="app.js"></script>')
        if path == "/console/app.js":
            if "script missing" in faults:
                return Response("Not Found", 404)
            return Response("export {};", mimetype="text/javascript")
        if path == "/console/config.json":
            if "config missing" in faults:
                return Response("<Error>AccessDenied</Error>", 403, mimetype="application/xml")
            api = f"{base}/other/" if "config names another API" in faults else f"{base}/prod/"
            return as_json(
                {
                    "apiBaseUrl": api,
                    "auth": "cognito",
                    "userPoolId": "us-east-1_abc",
                    "clientId": CLIENT_ID,
                    "region": "us-east-1",
                    "domain": f"{base}/cognito",
                }
            )
        if path in ("/prod/health", "/links/health"):
            if "health down" in faults:
                return as_json({"message": "Internal server error"}, 502)
            return as_json({"status": "ok"})
        if path.startswith(("/prod/r/", "/links/r/")):
            return self.unknown_link(path)
        if path == "/cognito/oauth2/authorize":
            return self.authorize(request, base)
        if path == "/cognito/login":
            return html("<!doctype html><title>Signin</title><form>")
        if path == "/cognito/error":
            return html("<!doctype html><p>An error was encountered", 400)
        return as_json({"message": "Missing Authentication Token"}, 403)

    def unknown_link(self, path: str) -> Response:
        if "link domain 502" in self.faults and path.startswith("/links/"):
            return as_json({"message": "Internal server error"}, 502)
        if "traceback" in self.faults:
            trace = 'Traceback (most recent call last):\n  File "/var/task/handler.py", line 9'
            return Response(trace, 500, mimetype="text/plain")
        if "json 404" in self.faults:
            return as_json({"message": "Not Found"}, 404)
        if "link found" in self.faults:
            return html("<!doctype html><p>Pick a time")
        if "too many" in self.faults:
            return html("<p>Too many requests came from here.", 429)
        return html(NOT_FOUND_PAGE, 404)

    def authorize(self, request: Request, base: str) -> Response:
        self.authorize_asked.append(request.url)
        expected = f"{base}/console/"
        args = request.args
        if "redirect mismatch" in self.faults or args.get("redirect_uri") != expected:
            return redirect(f"{base}/cognito/error?error=redirect_mismatch")
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return redirect(f"{base}/cognito/error?error=invalid_request")
        return redirect(f"{base}/cognito/login?client_id={CLIENT_ID}")


def html(body: str, status: int = 200) -> Response:
    return Response(body, status, mimetype="text/html")


def as_json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json")


def redirect(location: str) -> Response:
    return Response("", 302, headers={"Location": location})


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[FakeDeployment, str]]:
    fake = FakeDeployment()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def fake(deployment: tuple[FakeDeployment, str]) -> Iterator[tuple[FakeDeployment, str]]:
    fake, url = deployment
    fake.faults.clear()
    fake.authorize_asked.clear()
    yield fake, url
    fake.faults.clear()


def smoke(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def verdicts(report: str) -> dict[str, str]:
    """{check name: PASS or FAIL} from the report's lines."""
    found = {}
    for line in report.splitlines():
        word, _, rest = line.strip().partition("  ")
        if word in ("PASS", "FAIL"):
            found[rest.split(":", 1)[0]] = word
    return found


def test_a_healthy_deployment_passes_every_check(fake):
    _, url = fake
    # When the smoke test runs from the console's address, told the API and link domain
    status, report = smoke(f"{url}/console/", "--api", f"{url}/prod/", "--links", f"{url}/links")
    # Then every check passes, the Hosted UI's sign-in page included
    assert status == 0, report
    assert verdicts(report) == {
        "config.json": "PASS",
        "health": "PASS",
        "unknown link": "PASS",
        "health (link domain)": "PASS",
        "unknown link (link domain)": "PASS",
        "sign-in page": "PASS",
    }
    assert "the Hosted UI's sign-in page loads" in report
    assert "6 of 6 checks passed" in report


@pytest.mark.parametrize(
    ("fault", "failed", "says"),
    [
        ("health down", {"health"}, "answered 502"),
        ("traceback", {"unknown link"}, "shows a stack trace"),
        ("json 404", {"unknown link"}, "expected a page"),
        ("link found", {"unknown link"}, "answered 200, expected 404"),
        ("too many", {"unknown link"}, "wait five minutes"),
        ("config missing", {"config.json", "health", "unknown link"}, "answered 403"),
        ("config names another API", {"config.json", "health", "unknown link"}, "expected"),
        ("redirect mismatch", {"sign-in page"}, "redirect_mismatch"),
        ("script missing", {"sign-in page"}, "app.js answered 404"),
        ("no script", {"sign-in page"}, "loads no script"),
    ],
)
def test_a_deployment_answering_wrongly_fails_naming_the_check(fake, fault, failed, says):
    deployment, url = fake
    # Given one part of the deployment answering wrongly
    deployment.faults.add(fault)
    # When the smoke test runs
    status, report = smoke(f"{url}/console/", "--api", f"{url}/prod/")
    # Then it exits non-zero, that check (and what depends on it) fails, saying why
    assert status == 1, report
    found = verdicts(report)
    assert {name for name, verdict in found.items() if verdict == "FAIL"} == failed, report
    assert says in report
    assert f"failed: {', '.join(name for name in found if name in failed)}" in report


def test_a_link_domain_that_answers_wrongly_fails_only_its_own_check(fake):
    deployment, url = fake
    deployment.faults.add("link domain 502")
    status, report = smoke(f"{url}/console/", "--links", f"{url}/links/")
    assert status == 1
    assert verdicts(report)["unknown link (link domain)"] == "FAIL"
    assert verdicts(report)["unknown link"] == "PASS"


def test_the_command_exits_non_zero_and_prints_the_failed_check(fake):
    deployment, url = fake
    deployment.faults.add("traceback")
    # As `make smoke` runs it: its own process, its report on stdout
    done = subprocess.run(
        [sys.executable, "-m", "ops.smoke", f"{url}/console/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "FAIL  unknown link: GET " in done.stdout
    assert "/prod/r/<random token> shows a stack trace (500)" in done.stdout
    assert "Traceback" not in done.stdout  # the page's trace is not echoed into CI logs


def test_an_address_that_does_not_answer_fails_every_check():
    status, report = smoke("http://127.0.0.1:9/console/")
    assert status == 1
    assert set(verdicts(report).values()) == {"FAIL"}
    assert "did not answer" in report


def test_the_outputs_file_gives_the_console_api_and_link_domain(fake, tmp_path):
    _, url = fake
    outputs = tmp_path / "cdk-outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "RescheduleDispatch": {
                    "ConsoleUrl": f"{url}/console/",
                    "ApiUrl": f"{url}/prod/",
                    "LinkBaseUrl": f"{url}/links/",
                }
            }
        )
    )
    status, report = smoke("--outputs", str(outputs))
    assert status == 0, report
    assert "health (link domain)" in verdicts(report)
    # Another console's address leaves the file's API and link domain out
    other = Target.from_outputs(outputs, "https://d111111abcdef8.cloudfront.net/")
    assert other == Target(console="https://d111111abcdef8.cloudfront.net/")
    # The file's own console, given as the URL, keeps them
    same = Target.from_outputs(outputs, f"{url}/console")
    assert same.api == f"{url}/prod/"
    assert same.links == f"{url}/links/"


def test_without_a_url_or_outputs_file_it_says_what_to_give(tmp_path):
    status, report = smoke("--outputs", str(tmp_path / "cdk-outputs.json"))
    assert status == 2
    assert "give the console's URL (output ConsoleUrl)" in report
    with pytest.raises(SystemExit) as refused:
        smoke("d111111abcdef8.cloudfront.net")
    assert refused.value.code == 2


def test_the_hosted_ui_is_asked_for_the_consoles_own_address(fake):
    deployment, url = fake
    status, _ = smoke(f"{url}/console/")
    assert status == 0
    [asked] = deployment.authorize_asked
    query = parse_qs(urlsplit(asked).query)
    assert query["redirect_uri"] == [f"{url}/console/"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
