"""The local gateway serves the console as CloudFront does in AWS: files, headers, config."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import requests

TIMEOUT = 10


def raw_get(url: str, path: str) -> int:
    """GET with the path sent exactly as written (requests would normalize "..")."""
    location = urlsplit(url)
    connection = http.client.HTTPConnection(location.hostname or "", location.port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_root_opens_the_console_and_the_dev_page_moved(stack_url):
    root = requests.get(f"{stack_url}/", allow_redirects=False, timeout=TIMEOUT)
    assert root.status_code == 302
    assert root.headers["Location"].endswith("/console/")
    dev = requests.get(f"{stack_url}/dev/", timeout=TIMEOUT)
    assert dev.status_code == 200
    for link in ("/console/", "/dev/phone", "/dev/token?dispatcher=", "/health"):
        assert link in dev.text


def test_config_json_says_same_origin_api_and_dev_sign_in(stack_url):
    response = requests.get(f"{stack_url}/console/config.json", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"apiBaseUrl": "", "auth": "dev", "devClock": "/dev/clock"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/", "text/html; charset=utf-8"),
        ("/console/index.html", "text/html; charset=utf-8"),
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/views/reschedule.js", "text/javascript; charset=utf-8"),
        ("/console/styles.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml; charset=utf-8"),
    ],
)
def test_files_have_their_type_and_the_security_headers(stack_url, path, content_type):
    response = requests.get(f"{stack_url}{path}", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    # Revalidated on every load, answered 304 when unchanged
    assert response.headers["Cache-Control"] == "no-cache"
    again = requests.get(
        f"{stack_url}{path}", headers={"If-None-Match": response.headers["ETag"]}, timeout=TIMEOUT
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/console/../pyproject.toml",
        "/console/%2e%2e/pyproject.toml",
        "/console/..%2fpyproject.toml",
        "/console/views/../../local/gateway.py",
        "/console//etc/passwd",
        "/console/views/",
        "/console/missing.js",
        "/console/README",
    ],
)
def test_nothing_outside_the_console_folder_is_served(stack_url, path):
    assert raw_get(stack_url, path) in (403, 404)


def test_only_reads_are_allowed(stack_url):
    response = requests.post(f"{stack_url}/console/index.html", timeout=TIMEOUT)
    assert response.status_code == 405
