"""Post-deploy smoke test: does the deployed stack answer as it should? (`make smoke`)

    python -m ops.smoke https://d111111abcdef8.cloudfront.net/   # the console (output ConsoleUrl)
    python -m ops.smoke --outputs cdk-outputs.json                # the same, from `make deploy`

Starting from the console's address, as a dispatcher's browser does:

1. config: the console's ``config.json`` is served and names the API (``apiBaseUrl``; the
   ``ApiUrl`` output, or ``--api``, when known);
2. health: ``GET <api>/health`` answers 200 ``{"status": "ok"}``;
3. unknown link: ``GET <api>/r/<a random token>`` answers 404 with a page (HTML), no stack
   trace; with a link domain (``--links`` or the ``LinkBaseUrl`` output), there too;
4. sign-in page: the console's page and its scripts load and, when it signs in with
   Cognito, the Hosted UI shows its sign-in page for the console's app client and address
   (a wrong callback URL or client shows Cognito's error page instead).

Each check prints PASS or FAIL with what it saw; the exit status is 1 when any failed. It
changes nothing; the unknown link is one of the ten unknown links an address may try in
five minutes before the API answers it 429 (docs/security.md). Standard library only, so it
runs wherever Python 3.11+ does.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, TextIO

STACK_NAME = "RescheduleDispatch"
USER_AGENT = "reschedule-dispatch-smoke/1"
TIMEOUT_SECONDS = 15.0
# What an error page must not show: Python's traceback, Lambda's error shape, a raw 5xx.
STACK_TRACE = re.compile(
    r'Traceback \(most recent call last\)|File "[^"]+", line \d+|"errorType"|"stackTrace"'
)
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']?([^\"' >]+)", re.I)


class CheckFailed(Exception):
    """A check saw something wrong; the message says what."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: str
    url: str  # after redirects

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    def excerpt(self, length: int = 160) -> str:
        text = " ".join(self.body.split())
        return text if len(text) <= length else text[:length] + "…"


def fetch(url: str, timeout: float = TIMEOUT_SECONDS) -> Answer:
    """GET url, following redirects; a 4xx or 5xx is an answer, not an exception."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(
                response.status,
                response.headers,
                response.read().decode("utf-8", "replace"),
                response.geturl(),
            )
    except urllib.error.HTTPError as error:
        return Answer(
            error.code, error.headers, error.read().decode("utf-8", "replace"), error.geturl()
        )
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CheckFailed(f"GET {url} did not answer: {reason}") from error


def with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass
class Target:
    """What is checked: the console, and the API and link domain when known up front."""

    console: str
    api: str = ""  # expected: the config must name this API
    links: str = ""
    source: str = ""  # where these came from, for the report

    @classmethod
    def from_outputs(cls, path: Path, console: str = "") -> Target:
        """From `cdk deploy --outputs-file`: {"RescheduleDispatch": {"ConsoleUrl": …}}.

        With `console` given, the outputs only add the API and link domain when they are
        of that console's stack (a file left from another deployment is ignored)."""
        try:
            stacks = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise CheckFailed(f"{path} is not JSON") from None
        except FileNotFoundError:
            if console:
                return cls(console=console)
            raise CheckFailed(
                f"{path} not found: give the console's URL (output ConsoleUrl), or run "
                "`make deploy`, which writes it"
            ) from None
        outputs = stacks.get(STACK_NAME) or (
            next(iter(stacks.values())) if len(stacks) == 1 else {}
        )
        found = str(outputs.get("ConsoleUrl", ""))
        if console and with_slash(console) != with_slash(found):
            return cls(console=console)
        if not found:
            raise CheckFailed(f"{path} has no ConsoleUrl output of the {STACK_NAME} stack")
        return cls(
            console=found,
            api=str(outputs.get("ApiUrl", "")),
            links=str(outputs.get("LinkBaseUrl", "")),
            source=str(path),
        )


@dataclass
class Smoke:
    target: Target
    fetch: Callable[[str], Answer] = fetch
    config: dict[str, Any] = field(default_factory=dict)
    api: str = ""

    def checks(self) -> list[tuple[str, Callable[[], str]]]:
        """(name, check): each check returns what it saw, or raises CheckFailed."""
        found = [
            ("config.json", self.check_config),
            ("health", lambda: self.check_health(self.api_base())),
            ("unknown link", lambda: self.check_unknown_link(self.api_base())),
        ]
        if self.target.links:
            links = with_slash(self.target.links)
            found += [
                ("health (link domain)", lambda: self.check_health(links)),
                ("unknown link (link domain)", lambda: self.check_unknown_link(links)),
            ]
        found.append(("sign-in page", self.check_sign_in))
        return found

    def api_base(self) -> str:
        if not self.api:
            raise CheckFailed("not run: the API's address is unknown (config.json failed)")
        return self.api

    def check_config(self) -> str:
        url = urllib.parse.urljoin(with_slash(self.target.console), "config.json")
        answer = self.fetch(url)
        if answer.status != 200:
            raise CheckFailed(f"GET {url} answered {answer.status}, expected 200")
        try:
            config = json.loads(answer.body)
        except json.JSONDecodeError:
            raise CheckFailed(f"{url} is not JSON: {answer.excerpt()}") from None
        if not isinstance(config, dict) or not isinstance(config.get("apiBaseUrl"), str):
            raise CheckFailed(f"{url} names no API (apiBaseUrl): {answer.excerpt()}")
        self.config = config
        # The console resolves it against its own address: "" is its own origin (locally).
        api = with_slash(urllib.parse.urljoin(answer.url, config["apiBaseUrl"] or "/"))
        expected = self.target.api
        if expected and with_slash(expected) != api:
            raise CheckFailed(f"config.json names the API {api}, expected {expected}")
        self.api = api
        return f"names the API {api} (sign-in: {config.get('auth', '?')})"

    def check_health(self, base: str) -> str:
        url = urllib.parse.urljoin(base, "health")
        answer = self.fetch(url)
        if answer.status != 200:
            raise CheckFailed(f"GET {url} answered {answer.status}: {answer.excerpt()}")
        try:
            status = json.loads(answer.body).get("status")
        except (json.JSONDecodeError, AttributeError):
            status = None
        if status != "ok":
            raise CheckFailed(f'GET {url} answered {answer.excerpt()}, not {{"status":"ok"}}')
        return f"GET {url}: 200 ok"

    def check_unknown_link(self, base: str) -> str:
        # A token of the real format (256 bits, base64url) that no link has.
        url = urllib.parse.urljoin(base, f"r/{secrets.token_urlsafe(32)}")
        shown = url.rsplit("/", 1)[0] + "/<random token>"
        answer = self.fetch(url)
        if STACK_TRACE.search(answer.body):
            raise CheckFailed(f"GET {shown} shows a stack trace ({answer.status})")
        if answer.status == 429:
            raise CheckFailed(
                f"GET {shown} answered 429: this address tried too many unknown links; "
                "wait five minutes"
            )
        if answer.status != 404:
            raise CheckFailed(
                f"GET {shown} answered {answer.status}, expected 404: {answer.excerpt()}"
            )
        if answer.content_type != "text/html":
            raise CheckFailed(f"GET {shown}: 404 as {answer.content_type}, expected a page")
        return f"GET {shown}: 404 page"

    def check_sign_in(self) -> str:
        console = with_slash(self.target.console)
        page = self.fetch(console)
        if page.status != 200 or page.content_type != "text/html":
            raise CheckFailed(f"GET {console} answered {page.status} {page.content_type}")
        scripts = [urllib.parse.urljoin(page.url, src) for src in SCRIPT_SRC.findall(page.body)]
        if not scripts:
            raise CheckFailed(f"{console} loads no script: the sign-in page cannot show")
        for script in scripts:
            answer = self.fetch(script)
            if answer.status != 200:
                raise CheckFailed(f"GET {script} answered {answer.status}")
        if self.config.get("auth") != "cognito":  # the local stack's dev sign-in form
            return f"{console} and {len(scripts)} script(s) load"
        return self.check_hosted_ui(page.url)

    def check_hosted_ui(self, console: str) -> str:
        domain, client = str(self.config.get("domain", "")), str(self.config.get("clientId", ""))
        if not domain or not client:
            raise CheckFailed("config.json has auth cognito but no domain or clientId")
        # As the console starts it: code flow, back to the console's own address.
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": client,
                "redirect_uri": urllib.parse.urljoin(console, "."),
                "scope": "openid",
            }
        )
        url = f"{domain.rstrip('/')}/oauth2/authorize?{query}"
        answer = self.fetch(url)
        landed = urllib.parse.urlsplit(answer.url)
        error = urllib.parse.parse_qs(landed.query).get("error")
        if answer.status != 200 or error or landed.path.rstrip("/").endswith("/error"):
            raise CheckFailed(
                f"the Hosted UI answered {answer.status} at {landed.path}"
                + (f" ({error[0]})" if error else "")
                + ": check the app client's callback URL and the user pool domain"
            )
        if answer.content_type != "text/html":
            raise CheckFailed(f"the Hosted UI answered {answer.content_type}, expected a page")
        return f"the Hosted UI's sign-in page loads ({landed.netloc}{landed.path})"

    def run(self, out: TextIO) -> bool:
        print(f"Smoke test of {self.target.console}", file=out)
        if self.target.source:
            print(f"  (from {self.target.source})", file=out)
        failed = []
        checks = self.checks()
        for name, check in checks:
            try:
                print(f"  PASS  {name}: {check()}", file=out)
            except CheckFailed as error:
                failed.append(name)
                print(f"  FAIL  {name}: {error}", file=out)
        passed = len(checks) - len(failed)
        summary = f"{passed} of {len(checks)} checks passed"
        print(summary + (f"; failed: {', '.join(failed)}" if failed else ""), file=out)
        return not failed


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default="", help="the console's URL (output ConsoleUrl)")
    parser.add_argument("--outputs", type=Path, help="cdk deploy's outputs file")
    parser.add_argument("--api", default="", help="the API's URL config.json must name")
    parser.add_argument("--links", default="", help="the link domain's URL, e.g. https://…")
    args = parser.parse_args(argv)
    if not args.url and not args.outputs:
        parser.error("give the console's URL or --outputs")
    for url in (args.url, args.api, args.links):
        if url and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            parser.error(f"{url!r} is not an http(s) URL")
    try:
        target = Target.from_outputs(args.outputs, args.url) if args.outputs else Target(args.url)
    except CheckFailed as error:
        print(f"smoke: {error}", file=out)
        return 2
    target.api = args.api or target.api
    target.links = args.links or target.links
    return 0 if Smoke(target).run(out) else 1


if __name__ == "__main__":
    sys.exit(main())
