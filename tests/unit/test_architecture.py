"""The shared package's rings point inward, and a handler imports only what is deployed.

Every module of `reschedule_dispatch` is read with `ast` (imports at the top, inside functions
and under TYPE_CHECKING alike) and each import of the package is judged by the ring it comes
from and the ring it reaches (docs/architecture.md). Inward, each ring may import those after
it: the composition root; api; web; services; the provider registry; domain; texts. Adapters
sit beside services (neither imports the other) with the runtime (logs, tracing, settings)
they use. MAY_IMPORT below is the whole table.

The domain and the services hold the rules: they import no library that does I/O, so they
run in memory and in tests without AWS. Nothing in the package, and no handler, imports
functions/, local/, tests/, bench/, infra/ or ops/: a Lambda function is deployed as its own
folder beside the layer, without the rest of the repository.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "python"
PACKAGE = "reschedule_dispatch"

# The ring of each name directly under reschedule_dispatch/. A new module or package fails
# the test until it is placed here: where it sits decides what may import it.
RING_OF = {
    "texts": "texts",  # the message catalogue: words, no logic
    "domain": "domain",
    "providers": "registry",  # one module per scheduling provider: data, and `connect`
    "services": "services",
    "adapters": "adapters",
    "logs": "runtime",  # Lambda's logger, tracer and settings
    "tracing": "runtime",
    "environment": "runtime",
    "api": "api",
    "web": "web",
    "composition": "composition",  # the composition root: builds everything
}
ALL_RINGS = frozenset(RING_OF.values())

# What each ring may import besides itself.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "root": frozenset(),  # reschedule_dispatch/__init__.py: importing the package loads nothing
    "texts": frozenset(),
    "domain": frozenset({"texts"}),
    "registry": frozenset({"domain", "texts"}),
    "services": frozenset({"domain", "texts", "registry"}),
    "runtime": frozenset({"domain", "texts"}),  # logs masks with domain.messages
    "adapters": frozenset({"domain", "texts", "registry", "runtime"}),
    # The HTTP layer serves the pages web renders (their Content-Security-Policy hashes the
    # pages' scripts); web knows nothing of HTTP.
    "api": frozenset({"domain", "texts", "registry", "services", "web"}),
    "web": frozenset({"domain", "texts", "registry", "services"}),
    "composition": ALL_RINGS,
}

# Reached only from inside a function, when it is called, never at import.
WHEN_CALLED: dict[str, frozenset[str]] = {
    # A provider's `connect` imports its adapter: listing the providers loads no adapter, and
    # only the adapters' ring calls `connect` (providers/__init__.py).
    "registry": frozenset({"adapters"}),
}

# Single imports that cross a ring, each with its reason. Prefer moving the code.
EXCEPTIONS: dict[tuple[str, str], str] = {
    (
        "reschedule_dispatch.domain.business",
        "reschedule_dispatch.providers",
    ): "a business's provider kind is validated against the registry's data (its kinds, "
    "which need credentials, which move between technicians); the registry reaches the "
    "adapters only inside `connect`, which the domain never calls",
}

# Where the rules live: no AWS, HTTP, Lambda runtime or process library, so they run in
# memory anywhere (the services take ports from domain/ports.py for what they reach).
IN_MEMORY_RINGS = frozenset({"texts", "domain", "services"})
IO_LIBRARIES = frozenset(
    {
        "boto3",
        "botocore",
        "twilio",
        "urllib3",
        "requests",
        "aws_lambda_powertools",
        "aws_xray_sdk",
        "socket",
        "http.client",
        "urllib.request",
        "sqlite3",
        "subprocess",
    }
)

# Not deployed with a function: its own folder and the layers are all Lambda has.
NOT_DEPLOYED = ("functions", "local", "tests", "bench", "infra", "ops")


@dataclass(frozen=True)
class Import:
    name: str  # the module imported (for `from package import module`, the module)
    line: int
    when_called: bool  # inside a function: runs when the function does, not at import


def module_name(path: Path, base: Path) -> str:
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import in the source, relative ones resolved, with whether it waits for a call."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, when_called: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, child.lineno, when_called) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in child.names:
                    # `from reschedule_dispatch(.ring) import x`: x is a module of that package
                    imported = f"{base}.{alias.name}" if _is_package(base) else base
                    found.append(Import(imported, child.lineno, when_called))
            functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            visit(child, when_called or isinstance(child, functions))

    visit(ast.parse(source), when_called=False)
    return found


def _is_package(name: str) -> bool:
    return name.split(".")[0] == PACKAGE and (LAYER / name.replace(".", "/")).is_dir()


def ring(module: str) -> str | None:
    """The ring of a module of the package (None for the package itself or an unplaced name)."""
    if module == PACKAGE:
        return "root"
    parts = module.split(".")
    return RING_OF.get(parts[1]) if len(parts) > 1 and parts[0] == PACKAGE else None


def outward_imports(module: str, imports: list[Import]) -> list[str]:
    """The imports of a package module that break the rings, each naming module, line, import."""
    own = ring(module)
    if own is None:
        return [f"{module}: in no ring; place {module.split('.')[1]!r} in RING_OF"]
    broken = []
    for imported in imports:
        where = f"{module}:{imported.line} imports {imported.name}"
        top = imported.name.split(".")[0]
        if top in NOT_DEPLOYED:
            broken.append(f"{where}: {top}/ is not deployed with the layer")
        elif own in IN_MEMORY_RINGS and _is_io_library(imported.name):
            broken.append(f"{where}: {own} does no I/O (take a port from domain/ports.py)")
        elif top == PACKAGE and imported.name != PACKAGE:
            reached = ring(imported.name)
            if reached is None:
                broken.append(f"{where}: in no ring; place it in RING_OF")
            elif reached != own and reached not in MAY_IMPORT[own]:
                if imported.when_called and reached in WHEN_CALLED.get(own, ()):
                    continue
                if any(
                    module == importer and _within(imported.name, target)
                    for importer, target in EXCEPTIONS
                ):
                    continue
                allowed = ", ".join(sorted(MAY_IMPORT[own])) or "nothing of the app"
                broken.append(f"{where}: {own} reaches {reached} (it may import: {allowed})")
    return broken


def undeployed_imports(module: str, imports: list[Import]) -> list[str]:
    """A handler's imports of code Lambda does not have: another function, local/, tests/..."""
    return [
        f"{module}:{imported.line} imports {imported.name}: not deployed with the function"
        for imported in imports
        if imported.name.split(".")[0] in NOT_DEPLOYED
    ]


def _is_io_library(name: str) -> bool:
    return any(_within(name, library) for library in IO_LIBRARIES)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _sources(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


@cache
def package_imports() -> dict[str, list[Import]]:
    """Each module of the shared package and its imports (read once for the tests below)."""
    return {
        module_name(path, LAYER): imports_of(
            path.read_text(), module_name(path, LAYER), is_package=path.name == "__init__.py"
        )
        for path in _sources(LAYER / PACKAGE)
    }


def test_no_module_of_the_shared_package_imports_outward() -> None:
    broken = [
        problem
        for module, imports in package_imports().items()
        for problem in outward_imports(module, imports)
    ]
    assert broken == [], "imports pointing outward (docs/architecture.md):\n" + "\n".join(broken)


def test_no_handler_imports_what_its_function_is_not_deployed_with() -> None:
    broken = []
    for path in _sources(ROOT / "functions"):
        module = module_name(path, ROOT)
        broken += undeployed_imports(module, imports_of(path.read_text(), module))
    assert broken == [], "\n".join(broken)


def test_every_exception_is_still_needed() -> None:
    """An exception whose import is gone is dropped, so it cannot excuse a later one."""
    used = {
        (module, target)
        for module, imports in package_imports().items()
        for imported in imports
        for importer, target in EXCEPTIONS
        if importer == module and _within(imported.name, target)
    }
    assert set(EXCEPTIONS) - used == set()


# The check itself, on modules that do not exist: each line is one import in `module`.
@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("reschedule_dispatch.domain.x", "from reschedule_dispatch.domain import ports", 0),
        ("reschedule_dispatch.domain.x", "from reschedule_dispatch.texts import en", 0),
        ("reschedule_dispatch.domain.x", "from reschedule_dispatch.services import queries", 1),
        ("reschedule_dispatch.domain.x", "from reschedule_dispatch import composition", 1),
        ("reschedule_dispatch.domain.x", "import reschedule_dispatch.adapters.dynamodb", 1),
        ("reschedule_dispatch.domain.x", "from ..adapters import clock", 1),  # relative
        ("reschedule_dispatch.domain.x", "import boto3", 1),
        ("reschedule_dispatch.domain.x", "from urllib.request import urlopen", 1),
        ("reschedule_dispatch.domain.x", "from urllib.parse import quote", 0),
        (
            "reschedule_dispatch.domain.x",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from reschedule_dispatch.api.models import SessionView",
            1,
        ),
        (
            "reschedule_dispatch.domain.x",
            "def f():\n    from reschedule_dispatch.services.send_link import SendLink",
            1,
        ),
        ("reschedule_dispatch.texts.en", "from reschedule_dispatch.domain import business", 1),
        ("reschedule_dispatch.services.x", "from reschedule_dispatch.adapters import clock", 1),
        ("reschedule_dispatch.services.x", "import twilio.rest", 1),
        ("reschedule_dispatch.services.x", "from reschedule_dispatch import providers", 0),
        ("reschedule_dispatch.adapters.x", "from reschedule_dispatch.services import queries", 1),
        (
            "reschedule_dispatch.adapters.x",
            "from reschedule_dispatch.tracing import outside_call",
            0,
        ),
        ("reschedule_dispatch.adapters.x", "import boto3", 0),
        ("reschedule_dispatch.web.pages", "from reschedule_dispatch.api.http import app", 1),
        ("reschedule_dispatch.api.http", "from reschedule_dispatch.web import pages", 0),
        ("reschedule_dispatch.api.http", "from reschedule_dispatch.composition import x", 1),
        ("reschedule_dispatch.composition.x", "from reschedule_dispatch.adapters import y", 0),
        ("reschedule_dispatch.composition.x", "from functions.portal import handler", 1),
        ("reschedule_dispatch.adapters.x", "from local.clock import LocalClock", 1),
        ("reschedule_dispatch.providers.x", "from reschedule_dispatch.adapters import y", 1),
        (
            "reschedule_dispatch.providers.x",
            "def connect(c):\n    from reschedule_dispatch.adapters import y",
            0,
        ),
        ("reschedule_dispatch.domain.business", "from reschedule_dispatch import providers", 0),
        ("reschedule_dispatch.domain.session", "from reschedule_dispatch import providers", 1),
        ("reschedule_dispatch.somewhere", "import json", 1),  # in no ring
    ],
)
def test_the_check_finds_an_outward_import(module: str, source: str, broken: int) -> None:
    assert len(outward_imports(module, imports_of(source, module))) == broken


def test_the_check_finds_a_handler_importing_another_function() -> None:
    source = (
        "from functions.send_link.handler import app\nfrom reschedule_dispatch import composition"
    )
    assert undeployed_imports("functions.portal.handler", imports_of(source, "x")) == [
        "functions.portal.handler:1 imports functions.send_link.handler: "
        "not deployed with the function"
    ]
