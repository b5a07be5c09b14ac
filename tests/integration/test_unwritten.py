"""The last resort when stopping with a journal that still fails: held events kept on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.domain import events as ev
from console.io.unwritten import save_unwritten


def test_unwritten_events_are_saved_one_per_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(tmp_path))
    events = [
        ev.Escalate(at=5, operator="op1", console="c1", incident=3, target="fire_119"),
        ev.SystemNote(at=6, what="x"),
    ]
    path = save_unwritten(events, "c1")
    assert path is not None and path.parent == tmp_path
    assert [ev.decode(line) for line in path.read_bytes().splitlines()] == events
