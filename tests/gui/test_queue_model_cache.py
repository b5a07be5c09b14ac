"""The queue model keeps each row's cells per incident version (console/ui/queue_model.py): a new
version of an incident must show at once, and the countdown and the pink must follow the clock
between ticks. The tick repaints the countdown column and only the rows whose pink changed."""

from __future__ import annotations

from typing import Any

import msgspec
from PySide6.QtCore import QModelIndex, Qt

from console.app.clock import FakeClock
from console.domain.incident import Incident
from console.domain.registry import Register
from console.ui.queue_model import OVERDUE_BG, SORT_ROLE, QueueModel

NS = 1_000_000_000
COL = {c: i for i, c in enumerate(QueueModel.COLUMNS)}
DISPLAY = Qt.ItemDataRole.DisplayRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole


def acknowledged(iid: int, t0: int) -> Incident:
    """In progress (the working lane), so it turns pink 5′ after T0 until dispatched."""
    return Incident(
        id=iid,
        household=f"?dev{iid}",
        district="d",
        township="t",
        kind="smoke",
        opened=t0,
        kinds=["smoke"],
        devices=[f"dev{iid}"],
        unregistered=True,
        state="acknowledged",
        ack_at=t0 + 10 * NS,
    )


def cell(model: QueueModel, row: int, col: str, role: Any = DISPLAY) -> Any:
    return model.data(model.index(row, COL[col]), role)


def pink(model: QueueModel, row: int) -> bool:
    brush = cell(model, row, "code", BACKGROUND)
    return brush is not None and brush.color() == OVERDUE_BG


def changes(model: QueueModel) -> list[tuple[int, int, int, int, list[int]]]:
    seen: list[tuple[int, int, int, int, list[int]]] = []

    def note(a: QModelIndex, b: QModelIndex, roles: list[int] = []) -> None:  # noqa: B006
        seen.append((a.row(), a.column(), b.row(), b.column(), list(roles)))

    model.dataChanged.connect(note)
    return seen


def test_a_new_version_of_an_incident_shows_at_once(qapp: Any) -> None:
    clock = FakeClock()
    t0 = clock.now_ns()
    model = QueueModel(Register([], []), clock.now_ns)
    first = acknowledged(1, t0)
    model.update([first])
    assert cell(model, 0, "state") == "Acknowledged"
    assert cell(model, 0, "countdown") == "5′ 05:00"
    assert cell(model, 0, "responder") == ""
    seen = changes(model)

    # the engine's next delta: a new copy, one version on, dispatched
    second = msgspec.structs.replace(
        first, version=2, state="dispatched", dispatched_at=t0 + 60 * NS, responder="Team 3"
    )
    model.update([second])
    assert cell(model, 0, "state") == "Dispatched"
    assert cell(model, 0, "responder") == "Team 3"
    assert cell(model, 0, "countdown") == "30′ 30:00"  # its stage moved on: now the 30′ mark
    assert seen == [(0, 0, 0, len(COL) - 1, [])]  # the row repainted

    # changed in place with its version moved on (a replay's world): shown without an update
    second.responder = "Team 4"
    second.escalations = ["district"]
    second.version += 1
    assert cell(model, 0, "responder") == "Team 4"
    assert "District center" in cell(model, 0, "flags")

    # gone from the queue, then back: nothing left over from before
    model.update([msgspec.structs.replace(second, version=9, closed_at=t0 + 2 * NS, state="closed")])
    assert model.rowCount() == 0
    model.update([acknowledged(1, t0)])
    assert (cell(model, 0, "state"), cell(model, 0, "responder")) == ("Acknowledged", "")


def test_the_countdown_and_the_pink_follow_the_clock(qapp: Any) -> None:
    clock = FakeClock()
    t0 = clock.now_ns()
    model = QueueModel(Register([], []), clock.now_ns)
    model.update([acknowledged(1, t0), acknowledged(2, t0 + 200 * NS)])
    row = {model.rows[r].id: r for r in range(model.rowCount())}
    a, b = row[1], row[2]
    assert cell(model, a, "countdown") == "5′ 05:00"
    green = cell(model, a, "countdown", Qt.ItemDataRole.ForegroundRole).color()
    assert not pink(model, a) and not pink(model, b)
    model.tick()  # the pink of every row as of now
    seen = changes(model)

    clock.advance(61.2)  # read again without a tick: the clock is read, not a cached second
    assert cell(model, a, "countdown") == "5′ 03:58"  # 238.8 s left
    assert cell(model, a, "countdown", SORT_ROLE) == 238
    clock.advance(0.5)
    assert cell(model, a, "countdown") == "5′ 03:58"  # same second: same text
    clock.advance(0.5)
    assert cell(model, a, "countdown") == "5′ 03:57"

    model.tick()  # only the countdown column; nobody's pink changed
    cd = COL["countdown"]
    assert seen == [(0, cd, model.rowCount() - 1, cd, [])]

    clock.set(t0 + 300 * NS)  # the first one's 5′ mark
    assert cell(model, a, "countdown") == "5′ 00:00"
    assert pink(model, a) and not pink(model, b)
    assert all(pink(model, a) for _ in range(3))
    red = cell(model, a, "countdown", Qt.ItemDataRole.ForegroundRole).color()
    assert red != green
    seen.clear()
    model.tick()  # the countdowns, and the row that turned pink (its background only)
    assert seen == [
        (0, cd, model.rowCount() - 1, cd, []),
        (a, 0, a, len(COL) - 1, [int(BACKGROUND)]),
    ]
    seen.clear()
    clock.advance(1)
    model.tick()  # still pink: the countdowns only
    assert seen == [(0, cd, model.rowCount() - 1, cd, [])]
    assert cell(model, a, "countdown") == "5′ -00:01"

    # dispatched: the pink goes with the new version, at once
    done = msgspec.structs.replace(model.rows[a], version=2, state="dispatched", dispatched_at=clock.now_ns())
    model.update([done])
    a = next(r for r in range(model.rowCount()) if model.rows[r].id == 1)
    assert not pink(model, a)
    assert cell(model, a, "countdown").startswith("30′ ")


def test_a_pinned_row_is_marked_and_unmarked(qapp: Any) -> None:
    clock = FakeClock()
    model = QueueModel(Register([], []), clock.now_ns)
    model.update([acknowledged(1, clock.now_ns())])
    plain = cell(model, 0, "lane")
    model.pin(1)
    assert cell(model, 0, "lane") == plain + " ⚲"
    model.unpin()
    assert cell(model, 0, "lane") == plain
