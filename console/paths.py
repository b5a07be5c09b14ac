"""Where things live: shipped resources (source tree or frozen bundle) and per-user data."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """``resources/`` next to the package from source, or inside the PyInstaller bundle.

    GUARDIAN_RESOURCES_DIR overrides both (the self-test uses it to prove it can fail)."""
    override = os.environ.get("GUARDIAN_RESOURCES_DIR")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def migrations_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "db"
    return Path(__file__).resolve().parent.parent / "db"


def data_dir() -> Path:
    """Per-user data (journal, settings, generated map pages); GUARDIAN_DATA_DIR overrides."""
    override = os.environ.get("GUARDIAN_DATA_DIR")
    if override:
        p = Path(override)
    else:
        from platformdirs import user_data_dir

        p = Path(user_data_dir("GuardianConsole", "Guardian"))
    p.mkdir(parents=True, exist_ok=True)
    return p
