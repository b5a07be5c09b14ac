"""``python -m console restore FROM --to NEWFILE``: console/entry/backup.py ``restore_main``."""

from __future__ import annotations

from console.entry.backup import restore_main


def main(argv: list[str]) -> int:
    return restore_main(argv)
