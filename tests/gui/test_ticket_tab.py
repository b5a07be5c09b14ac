"""Maintenance tickets worked from the window (#20 point 3): select a ticket, acknowledge, send a
technician, note, close with a reason (resources/checklists/device.toml), each one a journaled
TicketAction; overdue tickets first and marked; refusals in words on the tab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from console.domain import events as ev
from console.domain.deadlines import TICKET_SLA_H
from console.ui.ticket_table import TicketTable
from tests.gui.shift_rig import ShiftRig


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[ShiftRig]:
    r = ShiftRig(qtbot, tmp_path / "journal.sqlite")
    yield r
    r.close()


def trouble(rig: ShiftRig, evt: str, nth: int = 0) -> Any:
    """A device trouble in the ``nth`` household with a smoke detector: its ticket, shown."""
    hh = [h for h in rig.register.households.values() if any(d.kind == "smoke" for d in h.devices)][nth]
    rig.device_event(hh, evt)
    t = rig.world(lambda w: next(t for t in w.tickets.values() if t.household == hh.code and t.kind == evt))
    tab = rig.window.ticket_table
    rig.qtbot.waitUntil(lambda: t.id in tab.tickets, timeout=10_000)
    return t


def open_tab(rig: ShiftRig, ticket: int) -> TicketTable:
    w = rig.window
    w.left_tabs.setCurrentIndex(1)
    tab = w.ticket_table
    tab.select(ticket)
    tab.setFocus()
    rig.qtbot.waitUntil(tab.hasFocus, timeout=5000)
    assert tab.current() == ticket
    return tab


def actions(rig: ShiftRig) -> list[ev.TicketAction]:
    return rig.records("ticket")


def wait_actions(rig: ShiftRig, n: int) -> list[ev.TicketAction]:
    rig.qtbot.waitUntil(lambda: len(actions(rig)) >= n, timeout=10_000)
    return actions(rig)


def cell(tab: TicketTable, ticket: int, col: str) -> str:
    for r in range(tab.rowCount()):
        if tab.item(r, 0).data(Qt.ItemDataRole.UserRole) == ticket:
            return tab.item(r, TicketTable.COLUMNS.index(col)).text()
    raise AssertionError(f"ticket {ticket} not shown")


def ok(dialog: Any) -> Any:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_an_end_of_life_ticket_is_worked_and_closed_from_the_tab_journaled(rig: ShiftRig, qtbot: Any) -> None:
    t = trouble(rig, "end_of_life")
    tab = open_tab(rig, t.id)
    assert tab.buttons["ack"].isEnabled() and tab.buttons["ack"].isVisible()

    qtbot.keyClick(tab, Qt.Key.Key_A)  # the checklist's key, on the ticket (not the incident)
    assert wait_actions(rig, 1)[-1].action == "ack"
    qtbot.waitUntil(lambda: cell(tab, t.id, "acked") == "op1", timeout=5000)
    assert not tab.buttons["ack"].isEnabled()  # done: nothing more to acknowledge
    assert "acknowledged" in tab.message.text()

    qtbot.keyClick(tab, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5000)
    dlg = tab.dialog
    assert not ok(dlg).isEnabled()  # nobody named yet
    dlg.who.setCurrentText("张师傅 维修二组")
    assert ok(dlg).isEnabled()
    ok(dlg).click()
    last = wait_actions(rig, 2)[-1]
    assert (last.action, last.assignee, last.operator, last.console) == (
        "assign",
        "张师傅 维修二组",
        "op1",
        rig.console,
    )
    qtbot.waitUntil(lambda: cell(tab, t.id, "assignee") == "张师傅 维修二组", timeout=5000)
    assert cell(tab, t.id, "note") == "Technician sent: 张师傅 维修二组"  # in words, not assign:…

    tab.buttons["note"].click()
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5000)
    tab.dialog.text.setPlainText("已电话联系老人，明早上门")
    ok(tab.dialog).click()
    assert wait_actions(rig, 3)[-1].note == "已电话联系老人，明早上门"
    qtbot.waitUntil(lambda: cell(tab, t.id, "note") == "已电话联系老人，明早上门", timeout=5000)

    qtbot.keyClick(tab, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5000)
    close = tab.dialog
    assert not ok(close).isEnabled()  # a close needs its reason
    quick = [b.text() for b in close.quick]
    assert "Detector replaced" in quick and "Elder refused a replacement (recorded)" in quick
    assert "technician: 张师傅 维修二组" in close.findChild(type(tab.message), "ticketDone").text()
    close.quick[quick.index("Elder refused a replacement (recorded)")].click()
    assert ok(close).isEnabled()
    ok(close).click()
    last = wait_actions(rig, 4)[-1]
    assert (last.action, last.ticket, last.note) == ("close", t.id, "Elder refused a replacement (recorded)")
    qtbot.waitUntil(lambda: t.id not in tab.tickets, timeout=5000)
    closed = rig.world(lambda w: w.tickets[t.id])
    assert closed.closed is not None and closed.closed_by == "op1"
    assert "closed" in tab.message.text()
    assert [a.action for a in actions(rig)] == ["ack", "assign", "note", "close"]


def test_tamper_close_offers_reinstalled_and_cancel_sends_nothing(rig: ShiftRig, qtbot: Any) -> None:
    t = trouble(rig, "tamper")
    tab = open_tab(rig, t.id)
    tab.do("close")
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5000)
    assert tab.dialog.quick[0].text() == "Reinstalled"
    tab.dialog.text.setPlainText("x")
    assert not ok(tab.dialog).isEnabled()  # one letter is no reason
    tab.dialog.reject()
    rig.sync()
    assert actions(rig) == [] and t.id in tab.tickets


def test_overdue_tickets_come_first_marked_and_counted(rig: ShiftRig, qtbot: Any) -> None:
    battery = trouble(rig, "low_battery", 0)  # 72 h to service
    tamper = trouble(rig, "tamper", 1)  # 4 h
    tab = rig.window.ticket_table
    assert tab.overdue() == []
    rig.advance((TICKET_SLA_H["tamper"] + 1) * 3600)
    rig.window.on_second()  # the 1 s tick, by hand
    assert tab.overdue() == [tamper.id]
    assert tab.item(0, 0).data(Qt.ItemDataRole.UserRole) == tamper.id
    assert cell(tab, tamper.id, "due").endswith("overdue")
    assert tab.item(0, 3).background().color().name() == "#ffcdd2"
    assert not cell(tab, battery.id, "due").endswith("overdue")
    assert "1 overdue" in rig.window.left_tabs.tabText(1)


def test_a_refused_ticket_action_is_shown_in_words_on_the_tab(rig: ShiftRig, qtbot: Any) -> None:
    t = trouble(rig, "fault")
    tab = open_tab(rig, t.id)
    rig.submit(ev.Logout(at=0, operator="op1", console=rig.console))  # this console's session ends
    tab.buttons["ack"].click()
    qtbot.waitUntil(lambda: tab.message.isVisible() and "not logged in" in tab.message.text(), timeout=5000)
    assert tab.pending == []
    assert "not logged in" in rig.window.statusBar().currentMessage()
    assert rig.window.panel.isVisible()  # the incident panel did not take it


def test_a_second_console_closing_the_ticket_takes_it_off_the_tab(rig: ShiftRig, qtbot: Any) -> None:
    t = trouble(rig, "fault")
    tab = open_tab(rig, t.id)
    rig.submit(ev.Login(at=0, operator="op2", console="other", role="district_officer", scope="*"))
    rig.submit(
        ev.TicketAction(at=0, operator="op2", console="other", ticket=t.id, action="close", note="已修复")
    )
    qtbot.waitUntil(lambda: t.id not in tab.tickets, timeout=5000)
    assert tab.current() is None and not tab.buttons["close"].isEnabled()


def test_open_tickets_are_loaded_at_start(qtbot: Any, tmp_path: Path) -> None:
    first = ShiftRig(qtbot, tmp_path / "journal.sqlite")
    try:
        t = trouble(first, "low_battery")
        again = first.window.__class__(
            first.engine, first.sink, first.window.templates, first.op, first.console
        )
        qtbot.addWidget(again)
        again.timer.stop()
        qtbot.waitUntil(lambda: t.id in again.ticket_table.tickets, timeout=5000)
        again.close()
    finally:
        first.close()
