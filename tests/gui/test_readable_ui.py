"""Readable and calm (#20 point 7): dialogs sized for their content, a login that says where
the officer is, a handover that lists overdue incidents first and takes in the ones that arrive
while it is open, a status bar in plain words, empty states that say what will appear, actions
disabled where the World would refuse them, addresses that show what differs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt

from console.ui import words
from console.ui.dialogs import ValuesDialog
from console.ui.handover import HandoverDialog
from console.ui.login import LoginDialog
from tests.gui.shift_rig import ShiftRig


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[ShiftRig]:
    r = ShiftRig(qtbot, tmp_path / "journal.sqlite")
    yield r
    r.close()


def test_the_feedback_box_shows_the_whole_text(qtbot: Any) -> None:
    text = "已电话回访老人及监护人，确认安全；网格员到场查看厨房，燃气阀已关闭，老人情绪稳定，已叮嘱家属今晚留宿。"
    dlg = ValuesDialog("闭环反馈并关闭", ("feedback",), None)
    qtbot.addWidget(dlg)
    box = dlg.fields["feedback"]
    box.setPlainText(text)  # type: ignore[union-attr]
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.width() >= 500 and dlg.height() > 120
    inner = box.viewport().width() - 8  # type: ignore[union-attr]
    need = box.fontMetrics().boundingRect(QRect(0, 0, inner, 10_000), Qt.TextFlag.TextWordWrap, text)
    assert need.height() <= box.viewport().height()  # type: ignore[union-attr]
    assert dlg.values()["feedback"] == text


def test_the_login_names_the_product_the_console_and_the_district(qtbot: Any) -> None:
    dlg = LoginDialog(lambda _u, _p: None, console="T01-desk-2", district="SIM")
    qtbot.addWidget(dlg)
    assert "Guardian Console" in dlg.product.text()
    assert dlg.where.text() == "Console T01-desk-2 · District SIM"


def test_the_status_bar_speaks_plainly_and_keeps_the_counters_in_its_tooltip(rig: ShiftRig) -> None:
    rig.realistic_incident()
    rig.qtbot.waitUntil(lambda: "open incident" in rig.window.counters.text(), timeout=5000)
    text = rig.window.counters.text()
    assert text.startswith("Hearing alarms · everything recorded · 1 open incident(s) · 1 open ticket(s)")
    assert "duplicates" not in text and "#" not in text
    assert "Duplicates ignored" in rig.window.counters.toolTip()


def test_empty_states_say_what_will_appear(rig: ShiftRig) -> None:
    w = rig.window
    assert w.queue_empty.isVisible() and "New alarms appear here" in w.queue_empty.text()
    assert w.panel.notes_empty.isVisible() and "appear here" in w.panel.notes_empty.text()
    w.left_tabs.setCurrentIndex(1)
    assert w.ticket_table.empty.isVisible() and "Device troubles" in w.ticket_table.empty.text()
    w.left_tabs.setCurrentIndex(0)
    rig.realistic_incident()
    assert not w.queue_empty.isVisible() and not w.panel.notes_empty.isVisible()
    w.left_tabs.setCurrentIndex(1)
    assert not w.ticket_table.empty.isVisible()


def test_actions_on_a_closed_incident_are_disabled_and_say_why(rig: ShiftRig) -> None:
    hh = rig.realistic_incident()
    panel = rig.window.panel
    assert not panel.buttons["acknowledge"].isEnabled()  # already done
    assert panel.buttons["acknowledge"].toolTip() == "Already done"
    assert panel.buttons["resolve"].isEnabled()
    closed = rig.incident_of(hh)
    closed.state, closed.closed_at = "closed", rig.clock.now_ns()
    assert not closed.is_open
    panel.show_incident(closed)
    assert not any(b.isEnabled() for b in panel.buttons.values())
    assert panel.buttons["close"].toolTip() == "This incident is closed"
    panel.do_action("close")  # the key: why, and nothing sent
    assert panel.refusal.text() == "This incident is closed"
    assert words.refusal("incident_closed", "5") == "Incident 5 is already closed: nothing more to do on it."


def test_the_address_column_shows_what_differs(rig: ShiftRig) -> None:
    hh = rig.realistic_incident()
    q = rig.window.queue
    cell = q.index(q.row_of(rig.incident_of(hh).id), q.COLUMNS.index("address"))
    township = rig.register.areas[hh.township].name
    assert township not in q.data(cell) and hh.address.endswith(q.data(cell))
    assert "栋" in q.data(cell) and "单元" in q.data(cell)
    assert q.data(cell, Qt.ItemDataRole.ToolTipRole) == hh.address


def test_the_handover_lists_overdue_first_takes_in_new_alarms_and_confirms(rig: ShiftRig) -> None:
    rig.store.add_operator("op9", "乙", "district_officer", "*", "night-shift-9")
    rig.window.check_login = rig.store.check_login
    homes = [h for h in rig.register.households.values() if any(d.kind == "smoke" for d in h.devices)]
    old, fresh, late = homes[0], homes[1], homes[2]
    rig.device_event(old, "alarm")
    rig.advance(90)  # old: past its 1-minute mark, not acknowledged
    rig.device_event(fresh, "alarm")
    rig.caught_up()
    rig.window.handover()
    dlg = rig.window.handover_dialog
    assert isinstance(dlg, HandoverDialog)
    assert dlg.list.count() == 2
    assert dlg.list.item(0).text().startswith("OVERDUE") and old.code in dlg.list.item(0).text()
    assert fresh.code in dlg.list.item(1).text()
    assert "1 overdue" in dlg.count.text()
    rig.device_event(late, "alarm")  # arrives while the dialog is open
    rig.caught_up()
    rig.qtbot.waitUntil(lambda: dlg.list.count() == 3, timeout=5000)
    assert any(late.code in dlg.list.item(i).text() for i in range(3))
    dlg.user.setText("op9")
    dlg.password.setText("night-shift-9")
    dlg.try_login()
    rig.qtbot.waitUntil(lambda: bool(rig.records("handover")), timeout=5000)
    (h,) = rig.records("handover")
    assert len(h.open_incidents) == 3
    msg = rig.window.statusBar().currentMessage()
    assert msg == "Shift handed over to 乙: 3 open incident(s), recorded in the journal."
