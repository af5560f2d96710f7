"""Every `make <target>` the README (its "Deploy to AWS" runbook included) and docs/infra.md
name is a target of the Makefile, so the runbook cannot drift from what `make` can do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", ROOT / "docs" / "infra.md")
RUNBOOK_TARGETS = {"bootstrap", "diff", "deploy", "smoke"}

# A rule's line: "name [name…]:" at the start, not an assignment (":=", "::=").
RULE = re.compile(r"^([A-Za-z0-9_.%/-]+(?:[ \t]+[A-Za-z0-9_.%/-]+)*)[ \t]*:(?![:=])", re.M)
# Inline code and fenced blocks: where a command is written to be run.
CODE = re.compile(r"```[^\n]*\n(.*?)```|`([^`\n]+)`", re.S)
# make, its options and VAR=value words, then the target.
MAKE = re.compile(
    r"(?:^|[\s;&|(])make\s+"
    r"(?:(?:-\S+|[A-Z_][A-Z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S*))\s+)*"
    r"([a-z][a-z0-9_-]*)"
)


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {name for names in RULE.findall(text) for name in names.split()}


def named_targets(markdown: str) -> set[str]:
    code = "\n".join(block or span for block, span in CODE.findall(markdown))
    return set(MAKE.findall(code))


def section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_the_parsers_read_what_they_should():
    assert named_targets("`make smoke URL=https://x/` and `PORT=1 make -j2 dev`") == {
        "smoke",
        "dev",
    }
    assert named_targets("```bash\nmake deploy CONTEXT='-c a=b'  # then\n```") == {"deploy"}
    assert named_targets("`make CONTEXT='-c a=b' diff`") == {"diff"}
    assert named_targets("to make sure, run `makefile` or make tea") == set()
    assert {"install", "synth", "deploy", "smoke", "help"} <= makefile_targets()
    assert "UV" not in makefile_targets()  # an assignment, not a rule


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_make_command_the_docs_name_is_a_target(doc: Path):
    named = named_targets(doc.read_text())
    assert named, f"{doc.name} names no make command"
    assert named <= makefile_targets(), sorted(named - makefile_targets())


def test_the_deploy_runbook_names_bootstrap_diff_deploy_and_smoke():
    runbook = section((ROOT / "README.md").read_text(), "Deploy to AWS")
    assert named_targets(runbook) >= RUNBOOK_TARGETS
