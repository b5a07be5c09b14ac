"""docs/cli.md documents every subcommand of ``python -m console``, each with its exit codes.

Pure: it reads the page and console/cli.py's table (the unit suite runs where only msgspec is
installed). That each driver's ``--help`` ends with the same codes, through a real
``python -m console NAME --help``, is tests/integration/test_cli_help.py."""

from __future__ import annotations

import re
from pathlib import Path

from console.cli import SUBCOMMANDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def sections(text: str) -> dict[str, str]:
    """``## `name` `` heading -> the text up to the next ``## `` heading."""
    out: dict[str, str] = {}
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    for part in parts[1:]:
        head, _, body = part.partition("\n")
        m = re.fullmatch(r"`([a-z][a-z0-9-]*)`", head.strip())
        if m:
            out[m.group(1)] = body
    return out


def codes(section: str) -> set[int]:
    """The exit codes a section's table names (rows ``| N | when |``)."""
    return {int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)}


def test_every_subcommand_has_a_section_with_its_exit_codes() -> None:
    found = sections(DOC.read_text(encoding="utf-8"))
    missing = [name for name in SUBCOMMANDS if name not in found]
    assert not missing, f"docs/cli.md has no section for {missing}"
    without = [name for name in SUBCOMMANDS if 0 not in codes(found[name])]
    assert not without, f"docs/cli.md: no exit code table (with its 0) for {without}"


def test_every_section_is_a_subcommand() -> None:
    """A section for a subcommand that is gone (or misspelt) would mislead."""
    extra = set(sections(DOC.read_text(encoding="utf-8"))) - set(SUBCOMMANDS)
    assert not extra, f"docs/cli.md documents unknown subcommands {sorted(extra)}"
