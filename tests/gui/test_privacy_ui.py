"""Personal data in the window (#20 point 5): no phone or ID number shown in full anywhere the
officer looks without a reveal the World took; a reveal asks for a reason (Cancel reveals
nothing), is journaled with it, shows the number only once accepted, and masks it again after
REVEAL_FOR_S; a refused reveal says why in words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QListWidget,
    QWidget,
)

from console.domain import privacy
from console.ui.dialogs import DispatchDialog
from console.ui.personal import RevealReasonDialog, mask_text
from tests.gui.shift_rig import NS, ShiftRig


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[ShiftRig]:
    r = ShiftRig(qtbot, tmp_path / "journal.sqlite")
    yield r
    r.close()


def texts(root: QWidget) -> list[str]:
    """Every text a widget tree shows: labels, buttons, list items, table cells and headers."""
    out: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, QLabel | QAbstractButton):
            out.append(w.text())
        if isinstance(w, QListWidget):
            out.extend(w.item(i).text() for i in range(w.count()))
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            for r in range(m.rowCount()):
                for c in range(m.columnCount()):
                    v = m.index(r, c).data()
                    if v is not None:
                        out.append(str(v))
    return out


def numbers(register: Any) -> set[str]:
    out: set[str] = set()
    for hh in register.households.values():
        out.update(c.phone for c in hh.contacts if c.phone)
        out.update(p.id_number for p in hh.residents if p.id_number)
    return out


def test_masking_free_text_leaves_device_ids_and_times_alone() -> None:
    assert (
        mask_text("responder=李秀建 19900748941 (grid_worker)")
        == "responder=李秀建 199****8941 (grid_worker)"
    )
    assert mask_text("ID 00000019520416003X") == "ID 0****************X"
    assert mask_text("smoke 860009831847561") == "smoke 860009831847561"  # a device id: 15 digits
    assert mask_text("c1@1764500000000000000 x3") == "c1@1764500000000000000 x3"


def test_no_number_in_full_anywhere_after_a_realistic_incident(rig: ShiftRig, qtbot: Any) -> None:
    hh = rig.realistic_incident()
    inc = rig.incident_of(hh)
    panel = rig.window.panel
    # the dispatch dialog's numbers are masked too (the grid worker's "1" already dispatched:
    # the button is disabled, the dialog is made here as the panel would)
    dlg = DispatchDialog(hh, rig.window, reveals=rig.window.reveals)
    dlg.show()
    shown = texts(rig.window) + texts(dlg)
    dlg.reject()
    rig.window.open_household(hh.code)
    qtbot.waitUntil(lambda: rig.window.house_file is not None, timeout=5000)
    assert rig.window.house_file is not None
    shown += texts(rig.window.house_file)
    full = numbers(rig.register)
    leaks = [t for t in shown if any(n in t for n in full)]
    assert leaks == []
    # and the numbers are there, masked: the timeline's who, the notifications, the responder
    assert inc.dispatched_at is not None  # the grid worker's "1" dispatched them
    col = rig.window.queue.COLUMNS.index("responder")
    row = rig.window.queue.row_of(inc.id)
    responder = rig.window.queue.data(rig.window.queue.index(row, col))
    assert "****" in responder and "grid_worker" not in responder
    who = [panel.timeline.item(r, 3).text() for r in range(panel.timeline.rowCount())]
    assert any("****" in w for w in who)
    assert all(not re.search(r"\d{11}", w) for w in who)


def reason_dialog(qtbot: Any) -> RevealReasonDialog:
    found: list[RevealReasonDialog] = []

    def visible() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, RevealReasonDialog) and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(visible, timeout=5000)
    return found[-1]


def test_reveal_asks_a_reason_shows_the_number_once_taken_then_masks_it_again(
    rig: ShiftRig, qtbot: Any
) -> None:
    hh = rig.household()
    rig.window.open_household(hh.code)
    qtbot.waitUntil(lambda: rig.window.house_file is not None, timeout=5000)
    f = rig.window.house_file
    assert f is not None
    contact = hh.contacts[0]
    assert f.contacts.item(0, 2).text() == privacy.mask_phone(contact.phone)
    # Cancel reveals nothing and journals nothing
    f.reveal_buttons[0].click()
    dlg = reason_dialog(qtbot)
    assert [b.text() for b in dlg.quick] == [
        "Call the elder back",
        "Contact the guardian",
        "Dispatch a responder",
    ]
    assert not dlg.buttons.button(dlg.buttons.StandardButton.Ok).isEnabled()  # no reason yet
    dlg.reject()
    rig.sync()
    assert rig.records("reveal") == []
    assert f.contacts.item(0, 2).text() == privacy.mask_phone(contact.phone)
    # a quick reason: sent with it, shown once the World took it
    f.reveal_buttons[0].click()
    dlg = reason_dialog(qtbot)
    dlg.quick[1].click()
    assert dlg.reason() == "Contact the guardian"
    dlg.accept()
    qtbot.waitUntil(lambda: f.contacts.item(0, 2).text() == contact.phone, timeout=5000)
    (rec,) = rig.records("reveal")
    assert (rec.field, rec.reason, rec.operator) == (
        f"contact:{contact.id}:phone",
        "Contact the guardian",
        "op1",
    )
    # still shown just before REVEAL_FOR_S, masked again at it
    rig.clock.set(rec.at + privacy.REVEAL_FOR_S * NS - 1)
    rig.window.on_second()
    assert f.contacts.item(0, 2).text() == contact.phone
    rig.clock.set(rec.at + privacy.REVEAL_FOR_S * NS)
    rig.window.on_second()
    assert f.contacts.item(0, 2).text() == privacy.mask_phone(contact.phone)
    # free text works as well, and an ID number for a district officer
    resident = hh.residents[0]
    f.reveal_id_buttons[0].click()
    dlg = reason_dialog(qtbot)
    dlg.text.setText("核对身份")
    dlg.accept()
    qtbot.waitUntil(lambda: f.people.item(0, 3).text() == resident.id_number, timeout=5000)
    assert rig.records("reveal")[-1].reason == "核对身份"


def test_a_township_officer_is_refused_an_id_number_in_words(qtbot: Any, tmp_path: Path) -> None:
    probe = ShiftRig(qtbot, tmp_path / "probe.sqlite")
    township = probe.household().township
    probe.close()
    rig = ShiftRig(qtbot, tmp_path / "journal.sqlite", role="township_officer", scope=township)
    try:
        hh = rig.household(township)
        rig.window.open_household(hh.code)
        qtbot.waitUntil(lambda: rig.window.house_file is not None, timeout=5000)
        f = rig.window.house_file
        assert f is not None
        f.reveal_id_buttons[0].click()
        dlg = reason_dialog(qtbot)
        dlg.quick[0].click()
        dlg.accept()
        qtbot.waitUntil(lambda: f.refused.isVisible(), timeout=5000)
        assert f.refused.text() == "Your role may not do this."
        assert f.people.item(0, 3).text() == privacy.mask_id(hh.residents[0].id_number)
        # the attempt is in the journal with its reason; the World refused it (nothing shown)
        assert rig.records("reveal")[-1].field == f"resident:{hh.residents[0].id}:id_number"
        assert rig.world(lambda w: list(w.reveals)) == []
        # the same officer may see a contact's phone
        f.reveal_buttons[0].click()
        dlg = reason_dialog(qtbot)
        dlg.quick[0].click()
        dlg.accept()
        qtbot.waitUntil(lambda: f.contacts.item(0, 2).text() == hh.contacts[0].phone, timeout=5000)
    finally:
        rig.close()


def test_the_dispatch_dialog_shows_the_number_to_dial_after_a_reveal(rig: ShiftRig, qtbot: Any) -> None:
    hh = rig.household()
    rig.device_event(hh, "alarm")
    inc = rig.incident_of(hh)
    qtbot.waitUntil(lambda: inc.id in rig.window.queue.incidents, timeout=10_000)
    rig.window.select(inc.id)
    panel = rig.window.panel
    panel.do_action("acknowledge")
    rig.caught_up()
    panel.do_action("dispatch")
    qtbot.waitUntil(lambda: isinstance(panel.active_dialog, DispatchDialog))
    dlg = panel.active_dialog
    assert isinstance(dlg, DispatchDialog)
    first = dlg.contacts[dlg.list.currentRow()]
    assert first.phone not in dlg.list.currentItem().text()
    assert privacy.mask_phone(first.phone) in dlg.list.currentItem().text()
    dlg.reveal_button.click()
    why = reason_dialog(qtbot)
    why.quick[2].click()
    why.accept()
    qtbot.waitUntil(lambda: first.phone in dlg.list.currentItem().text(), timeout=5000)
    assert rig.records("reveal")[-1].reason == "Dispatch a responder"
    dlg.accept()
    qtbot.waitUntil(lambda: rig.incident_of(hh).dispatched_at is not None, timeout=5000)
