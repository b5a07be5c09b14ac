"""The blind banner names the ingest bridges' problems, in English and Chinese."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from console.app.bridges import BridgeProblem
from console.app.delta import Status
from console.ui.status_view import StatusView
from tests.support import T0

PROBLEMS = (
    BridgeProblem("b1", "offline", "", T0),
    BridgeProblem("b2", "silent", "onenet", T0, "2026-03-05T08:00:00+08:00"),
    BridgeProblem("b2", "outbox_full", "", T0),
)


def status(*bridges: BridgeProblem) -> Status:
    return Status(now=T0, bus="connected", bus_since=0, journal="ok", bridges=bridges)


def test_each_bridge_problem_is_a_banner_line(qtbot: QtBot) -> None:
    sv = StatusView("live")
    lines = sv.reasons(status(*PROBLEMS))
    assert [line.split(" — ")[0] for line in lines] == [
        "INGEST BRIDGE DOWN",
        "PLATFORM SILENT",
        "INGEST BRIDGE FULL",
    ]
    assert "OneNET (China Mobile)" in lines[1] and "2026-03-05T08:00:00+08:00" in lines[1]
    assert "bridge b1" in lines[0] and "%" not in "".join(lines)
    assert sv.reasons(status()) == []
    assert StatusView("replay").reasons(status(*PROBLEMS)) == []


def test_in_chinese(qtbot: QtBot, zh: None) -> None:
    lines = StatusView("live").reasons(status(*PROBLEMS))
    assert [line.split(" — ")[0] for line in lines] == ["接入网关中断", "平台静默", "接入网关积压已满"]
    assert "OneNET（中国移动）" in lines[1] and "%" not in "".join(lines)
