"""Importing a handler, or any module of the shared package, builds no client and opens no
connection.

A client built at import runs in every cold start, before the handler knows whether it will
use it, and an import that reaches the network fails the whole function when the service is
slow (docs/performance.md). The composition root builds clients when a handler first calls
it; local/openapi.py and the local stack rely on importing a handler building nothing.

One fresh interpreter imports every module with a Lambda's environment and no credentials,
with boto3 and botocore clients, urllib3 requests, sockets and twilio's Client made to fail
and to say who called them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "python"

# Runs in the fresh interpreter: argv[1] is the JSON list of modules to import.
# Library code allowed to build a client at import, by the file that calls, with the reason.
ALLOWED_CALLERS = {
    # Powertools' Tracer imports the X-Ray SDK, whose recorder builds a botocore client for
    # the local daemon's sampling rules (127.0.0.1:2000) when it is loaded. It opens no
    # connection then, and in Lambda the service samples, so it never polls.
    "aws_xray_sdk/core/sampling/connector.py": "the X-Ray SDK's sampling client",
}

# Runs in the fresh interpreter: argv is the JSON list of modules to import, the repository's
# root and the JSON list of allowed callers.
IMPORT_ALL = r"""
import importlib, json, socket, sys, traceback
import wrapt

modules, ROOT, allowed = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
calls = []


def refuse(what, original):
    def refused(*args, **kwargs):
        stack = traceback.extract_stack()[:-1]
        caller = stack[-1].filename.split("site-packages/")[-1]
        if caller in allowed:
            return original(*args, **kwargs)
        # the innermost frame of our code: the line that asked for the client or connection
        ours = [
            f"{frame.filename.removeprefix(ROOT + '/')}:{frame.lineno}"
            for frame in stack
            if frame.filename.startswith(ROOT + "/") and "site-packages" not in frame.filename
        ]
        calls.append({"what": what, "where": ours[-1] if ours else caller})
        raise RuntimeError(f"{what} at import")

    return refused


def refuse_on(owner, names, label):
    for name in names:
        setattr(owner, name, refuse(f"{label}.{name}", getattr(owner, name)))


def when_imported(module, owner, *names):
    def patch(loaded):
        refuse_on(getattr(loaded, owner), names, f"{module}.{owner}")

    wrapt.register_post_import_hook(patch, module)


refuse_on(socket.socket, ("connect", "connect_ex"), "socket.socket")
refuse_on(socket, ("create_connection", "getaddrinfo"), "socket")
when_imported("boto3.session", "Session", "client", "resource")
when_imported("botocore.session", "Session", "create_client")
when_imported("urllib3.connectionpool", "HTTPConnectionPool", "urlopen")
when_imported("twilio.rest", "Client", "__init__")

failed = {}
for module in modules:
    try:
        importlib.import_module(module)
    except Exception as error:
        failed[module] = f"{type(error).__name__}: {error}"
print(json.dumps({"calls": calls, "failed": failed}))
"""


def modules() -> list[str]:
    """Every handler module and every module of the shared package, as import names."""
    found = []
    for base, folder in ((ROOT, ROOT / "functions"), (LAYER, LAYER / "reschedule_dispatch")):
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(base).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def lambda_environment() -> dict[str, str]:
    """What the Lambda runtime sets, without credentials or this shell's settings."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "import-check",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "POWERTOOLS_METRICS_NAMESPACE": "RescheduleDispatch",
    }


def import_all(names: list[str], root: Path, python_path: str) -> dict[str, Any]:
    """Imports `names` in one fresh interpreter: the refused calls and the failed imports."""
    result = subprocess.run(  # this interpreter, our own script
        [
            sys.executable,
            "-c",
            IMPORT_ALL,
            json.dumps(names),
            str(root),
            json.dumps(ALLOWED_CALLERS),
        ],
        cwd=root,
        env={**lambda_environment(), "PYTHONPATH": python_path},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return answer


def test_importing_every_handler_and_module_builds_no_client_and_opens_no_connection() -> None:
    names = modules()
    assert any(name.startswith("functions.") for name in names)
    assert "reschedule_dispatch.domain.messages" in names

    answer = import_all(names, ROOT, f"{ROOT}:{LAYER}")

    assert answer["calls"] == [], "clients or connections at import (build them when called)"
    assert answer["failed"] == {}, "modules that cannot be imported with a Lambda's environment"


# Modules doing what no module may, one of each kind, and one that waits for a call.
EAGER_MODULES = {
    "eager_table": "import boto3\n"
    "try:\n"
    "    TABLE = boto3.resource('dynamodb').Table('sessions')\n"
    "except RuntimeError:\n"
    "    TABLE = None  # swallowing the refusal does not hide it\n",
    "eager_scheduler": "import boto3\nSCHEDULER = boto3.client('scheduler')\n",
    "eager_botocore": "import botocore.session\nSTS = botocore.session.get_session().create_client('sts')\n",
    "eager_twilio": "from twilio.rest import Client\nTWILIO = Client('AC0', 'token')\n",
    "eager_slack": "import urllib3\nurllib3.PoolManager().request('POST', 'http://hooks.example')\n",
    "eager_socket": "import socket\nsocket.create_connection(('example.com', 443))\n",
    "lazy_table": "import boto3\ndef table():\n    return boto3.resource('dynamodb').Table('s')\n",
}


def test_the_check_names_each_client_or_connection_made_at_import(tmp_path: Path) -> None:
    for name, source in EAGER_MODULES.items():
        (tmp_path / f"{name}.py").write_text(source)

    answer = import_all(list(EAGER_MODULES), tmp_path, str(tmp_path))

    assert answer["calls"] == [
        {"what": "boto3.session.Session.resource", "where": "eager_table.py:3"},
        {"what": "boto3.session.Session.client", "where": "eager_scheduler.py:2"},
        {"what": "botocore.session.Session.create_client", "where": "eager_botocore.py:2"},
        {"what": "twilio.rest.Client.__init__", "where": "eager_twilio.py:2"},
        {"what": "urllib3.connectionpool.HTTPConnectionPool.urlopen", "where": "eager_slack.py:2"},
        {"what": "socket.create_connection", "where": "eager_socket.py:2"},
    ]
    assert sorted(answer["failed"]) == sorted(set(EAGER_MODULES) - {"eager_table", "lazy_table"})
