"""Ways to reach a sandbox (Twilio, SendGrid, Slack) that its test module's `sandbox`
fixture builds: over real HTTP, through its WSGI app, or mounted behind a gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from local.sandbox_base import Sandbox
from tests.serving import serve


@pytest.fixture
def base_url(sandbox: Sandbox) -> Iterator[str]:
    """The sandbox served on a loopback port, for real clients."""
    with serve(sandbox) as url:
        yield url


@pytest.fixture
def app(sandbox: Sandbox) -> Client:
    """The sandbox's WSGI app called directly (no server needed)."""
    return Client(sandbox)


@pytest.fixture
def mounted_app(sandbox: Sandbox) -> Client:
    """A gateway that mounts the sandbox at its prefix with werkzeug's DispatcherMiddleware
    (so the sandbox sees SCRIPT_NAME=prefix) and answers everything else with 418."""

    @Request.application
    def gateway(request: Request) -> Response:
        return Response("gateway", status=418)

    return Client(DispatcherMiddleware(gateway, {sandbox.prefix: sandbox}))
