"""Build the Lambda dependency layer (build/layers/deps/python) without Docker.

The runtime dependencies come from the project's lock file (``uv export``) and are installed
as prebuilt wheels for the Lambda platform (arm64, Python 3.13) with ``uv pip install
--target``. The build is skipped when the exported requirements match the last build.

Usage: ``python infra/build_assets.py [--force]``. The ``uv`` executable is taken from the
``UV`` environment variable, then from PATH, then from the repository's ``.tools/bin/uv``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPS_LAYER_DIR = REPO_ROOT / "build" / "layers" / "deps"
# Kept beside the layer, not inside it, so it never ends up in the asset.
STAMP_FILE = DEPS_LAYER_DIR.parent / "deps.requirements.txt"
LOCK_FILE = DEPS_LAYER_DIR.parent / "deps.lock"

PYTHON_PLATFORM = "aarch64-manylinux2014"
PYTHON_VERSION = "3.13"
# The Lambda runtime ships boto3/botocore; shipping our own botocore in a layer would shadow
# the runtime's and pair it with a boto3 of another release.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")


def uv_executable() -> str:
    """The uv to run: $UV, else `uv` on PATH, else the repository's .tools/bin/uv."""
    configured = os.environ.get("UV")
    if configured:
        return configured
    found = shutil.which("uv")
    if found is not None:
        return found
    bundled = REPO_ROOT / ".tools" / "bin" / "uv"
    if bundled.is_file():
        return str(bundled)
    sys.exit("uv not found: set UV=/path/to/uv or put uv on PATH")


def export_requirements(uv: str) -> str:
    """The locked runtime requirements, without dev dependencies or the project itself."""
    command = [
        uv,
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-hashes",
        "--no-header",
        "--format",
        "requirements.txt",
    ]
    for package in RUNTIME_PROVIDED:
        command += ["--no-emit-package", package]
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        command, cwd=REPO_ROOT, check=True, capture_output=True, text=True
    )
    return result.stdout


def build_fingerprint(requirements: str) -> str:
    """What the layer content depends on: the target platform and the pinned requirements."""
    return f"# platform={PYTHON_PLATFORM} python={PYTHON_VERSION}\n{requirements}"


def install(uv: str, requirements: str, target: Path) -> None:
    """Install the pinned wheels for the Lambda platform into target."""
    with tempfile.TemporaryDirectory() as workdir:
        requirements_file = Path(workdir) / "requirements.txt"
        requirements_file.write_text(requirements)
        subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--no-config",
                "--no-deps",  # the export is already the full, pinned closure
                "--link-mode",
                "copy",
                "--target",
                str(target),
                "--python-platform",
                PYTHON_PLATFORM,
                "--python-version",
                PYTHON_VERSION,
                "--only-binary",
                ":all:",
                "--requirement",
                str(requirements_file),
            ],
            cwd=REPO_ROOT,
            check=True,
        )


def remove_host_specific_files(root: Path) -> None:
    """Drop what would make the asset hash depend on the build machine.

    __pycache__ holds bytecode of this host's Python; bin/ holds console scripts whose shebang
    names this host's interpreter (no Lambda function runs them), and the wheels' RECORD
    files list those scripts with their hashes.
    """
    for cache in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    shutil.rmtree(root / "bin", ignore_errors=True)
    for record in root.glob("*.dist-info/RECORD"):  # the scripts' hashes cover the shebang
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("bin/")))


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    """One build at a time (parallel test workers may all ask for the layer)."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_deps_layer(*, force: bool = False) -> Path:
    """Build build/layers/deps/python unless it is current; returns the layer folder."""
    uv = uv_executable()
    fingerprint = build_fingerprint(export_requirements(uv))
    target = DEPS_LAYER_DIR / "python"
    with build_lock():
        if (
            not force
            and target.is_dir()
            and STAMP_FILE.is_file()
            and STAMP_FILE.read_text() == fingerprint
        ):
            print(f"deps layer is up to date: {target.relative_to(REPO_ROOT)}")
            return DEPS_LAYER_DIR

        STAMP_FILE.unlink(missing_ok=True)
        if DEPS_LAYER_DIR.exists():
            shutil.rmtree(DEPS_LAYER_DIR)
        target.mkdir(parents=True)
        install(uv, fingerprint, target)
        remove_host_specific_files(target)
        STAMP_FILE.write_text(fingerprint)
    print(f"built deps layer: {target.relative_to(REPO_ROOT)}")
    return DEPS_LAYER_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    build_deps_layer(force=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
