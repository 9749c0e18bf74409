"""Shared fixtures: the repository, the CLI binary, and a CLI runner.

The CLI is the reference the package must agree with: ``DOFLEET_BIN`` or
the repository's ``target/release/dofleet`` (``cargo build --release``).
"""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    binary = Path(os.environ.get("DOFLEET_BIN", ROOT / "target" / "release" / "dofleet"))
    if not binary.is_file():
        pytest.fail(f"{binary}: no dofleet binary; run `cargo build --release` first (or set DOFLEET_BIN)")
    return binary


@pytest.fixture(scope="session")
def run_cli(cli):
    def run(*args, check=True):
        done = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, cwd=ROOT)
        if check and done.returncode != 0:
            raise AssertionError(f"dofleet {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr}")
        return done

    return run
