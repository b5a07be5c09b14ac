"""Each driver's ``--help`` ends with its exit codes, and those are the ones docs/cli.md lists:
a real ``python -m console NAME --help`` per driver."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_cli_docs import DOC, codes, sections

ROOT = Path(__file__).resolve().parents[2]

# The drivers whose --help ends with "exit codes:": every one.
WITH_EPILOG = (
    "run",
    "headless",
    "import-register",
    "operators",
    "import-boundaries",
    "audit",
    "backup",
    "restore",
    "bench",
    "bridge",
    "broker",
    "demo",
    "drill",
    "gateway",
    "replay",
    "report",
    "screenshots",
    "selftest",
    "simulate",
    "training",
)


def epilog_codes(help_text: str) -> set[int]:
    """The codes named after "exit codes:" ("0 ...; 1 ...; 2 ..." or "0 ..., 3 ..., 2 ...")."""
    tail = re.split("exit codes:", " ".join(help_text.split()), maxsplit=1, flags=re.IGNORECASE)[1]
    return {int(n) for n in re.findall(r"(?:^|[;,]) ?(\d+) (?=\S)", tail)}


@pytest.mark.parametrize("name", WITH_EPILOG)
def test_help_ends_with_the_documented_exit_codes(name: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "console", name, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "exit codes:" in run.stdout.lower(), run.stdout
    named = epilog_codes(run.stdout)
    assert 0 in named, run.stdout
    documented = codes(sections(DOC.read_text(encoding="utf-8"))[name])
    assert named == documented, f"{name} --help names codes {sorted(named)}, docs/cli.md {sorted(documented)}"
