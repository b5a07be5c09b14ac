"""The officer's window driven for real: Mosquitto, SQLite journal, engine thread, offscreen Qt."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit

from console.app.clock import FakeClock
from console.bootstrap import build_core, templates
from console.config import Settings
from console.domain import events as ev
from console.domain.codec import device_topic
from console.sim.district import generate
from console.sim.traffic import payload
from console.ui.dialogs import DispatchDialog, ValuesDialog
from console.ui.main_window import MainWindow
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from tests.fixtures.brokers import publish_paho
from tests.support import NS

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=7, households=300)


class Rig:
    def __init__(
        self, tmp: Path, broker: Any, register: Any, qtbot: Any, operator: Operator, store: Any = None
    ) -> None:
        import time

        self.broker = broker
        self.register = register
        self.clock = FakeClock(time.time_ns())
        self.settings = Settings(
            broker_host=broker.host,
            broker_port=broker.port,
            broker_username=broker.username,
            broker_password=broker.password,
            district="SIM",
            console_id=f"gui{next(_ids)}",
            db_url=f"sqlite:///{tmp / 'journal.sqlite'}",
            blind_after_s=0.5,
        )
        self.sink = QtSink()
        self.core = build_core(
            self.settings, register=register, clock=self.clock, sink=self.sink, store=store
        )
        self.op = operator
        self.core.engine.submit_command(
            ev.Login(
                at=0,
                operator=operator.id,
                console=self.settings.console_id,
                role=operator.role,
                scope=operator.scope,
            )
        )
        self.window = MainWindow(self.core.engine, self.sink, templates(), operator, self.settings.console_id)
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.activateWindow()
        self.qtbot = qtbot
        qtbot.waitUntil(
            lambda: self.window.status is not None and self.window.status.bus == "connected", timeout=15000
        )

    def household(self, township: str | None = None) -> Any:
        for hh in self.register.households.values():
            if township is None or hh.township == township:
                if any(d.kind == "smoke" for d in hh.devices):
                    return hh
        raise AssertionError("no household")

    def alarm(self, hh: Any, kind: str = "smoke") -> None:
        dev = next(d for d in hh.devices if d.kind == kind)
        body = payload(dev.id, kind, "alarm", self.clock.now_ns(), f"t{next(_ids)}")
        publish_paho(self.broker, [(device_topic("SIM", hh.township, dev.id), body)])

    def row_for(self, code: str) -> int:
        return next((r for r, inc in enumerate(self.window.queue.rows) if inc.household == code), -1)

    def incident(self, code: str) -> Any:
        return next(i for i in self.window.queue.incidents.values() if i.household == code)

    def journal_types(self) -> list[str]:
        return [r.type for r in self.core.store.journal.read(1)]

    def key(self, k: Any) -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            # offscreen has no window manager to hand activation back after a dialog closes
            self.window.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is self.window, timeout=2000)
        target = (modal.focusWidget() or modal) if modal is not None else self.window
        self.qtbot.keyClick(target, k)

    def close(self) -> None:
        self.window.timer.stop()
        self.window.close()
        self.core.stop()


@pytest.fixture
def rig(tmp_path: Path, mosquitto: Any, register: Any, qtbot: Any) -> Iterator[Rig]:
    r = Rig(tmp_path, mosquitto, register, qtbot, Operator("op1", "district_officer", "*", "值班员甲"))
    yield r
    r.close()


def test_alarm_on_the_bus_appears_in_the_queue(rig: Rig) -> None:
    hh = rig.household()
    rig.alarm(hh)
    rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) >= 0, timeout=10000)
    model = rig.window.queue
    row = rig.row_for(hh.code)
    # what tells the homes apart (building, unit, room); the whole address in the tooltip
    address = model.index(row, model.COLUMNS.index("address"))
    assert hh.address.endswith(model.data(address)) and len(model.data(address)) < len(hh.address)
    assert model.data(address, Qt.ItemDataRole.ToolTipRole) == hh.address
    assert model.data(model.index(row, model.COLUMNS.index("kind"))) == "Smoke"
    assert "dev" in rig.journal_types()


def test_false_kitchen_smoke_alarm_closed_by_keyboard_recording_what_happened(rig: Rig) -> None:
    """By keyboard alone, each step records what happened (closure on evidence): whom the
    family was told by what, in the officer's own words at the close; Enter alone claims nothing."""
    hh = rig.household()
    rig.alarm(hh)
    rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) >= 0, timeout=10000)
    actions = 0

    def press(k: Any) -> None:
        nonlocal actions
        actions += 1
        rig.key(k)

    rig.window.selected = None
    press(Qt.Key.Key_N)  # select the incident
    assert rig.window.selected == rig.incident(hh.code).id
    press(Qt.Key.Key_A)  # acknowledge
    rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "acknowledged", timeout=5000)
    press(Qt.Key.Key_R)  # resolve: the cause dialog opens
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, ValuesDialog))
    press(Qt.Key.Key_Down)  # real fire -> cooking smoke
    press(Qt.Key.Key_Return)
    rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "resolved", timeout=5000)
    inc = rig.incident(hh.code)
    assert inc.cause == "cooking_smoke"
    assert set(inc.waived) == {"dispatch", "on_site"}
    press(Qt.Key.Key_I)  # elder and guardian informed: whom, how
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, ValuesDialog))
    dlg = rig.window.panel.active_dialog
    assert isinstance(dlg, ValuesDialog)
    press(Qt.Key.Key_Return)  # nothing chosen: nothing is claimed, the dialog says what to choose
    assert dlg.isVisible() and dlg.missing.isVisible() and "inform" not in rig.incident(hh.code).steps
    press(Qt.Key.Key_Down)  # who: the elder
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Down)  # how: by phone
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Down)  # the call: reached, safe
    press(Qt.Key.Key_Return)
    rig.qtbot.waitUntil(lambda: "inform" in rig.incident(hh.code).steps, timeout=5000)
    assert rig.incident(hh.code).steps["inform"].values == {"who": "elder", "how": "call", "outcome": "safe"}
    press(Qt.Key.Key_C)  # close: the feedback box is empty, the officer writes it
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, ValuesDialog))
    close = rig.window.panel.active_dialog
    assert isinstance(close, ValuesDialog)
    box = close.fields["feedback"]
    assert isinstance(box, QPlainTextEdit) and box.toPlainText() == ""
    facts = close.findChild(QLabel, "facts")
    assert facts is not None and "✔ Elder and guardian informed (by phone)" in facts.text()
    actions += 1
    box.insertPlainText("厨房油烟，已电话告知老人")  # the officer types (keyClicks sends ASCII only)
    press(Qt.Key.Key_Return)
    rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) < 0, timeout=5000)  # closed: leaves the queue
    assert actions <= 16
    closed = rig.core.engine.query(
        lambda w: (w.incidents[inc.id].state, w.incidents[inc.id].feedback)
    ).result(5)
    assert closed == ("closed", "厨房油烟，已电话告知老人")


def test_dispatch_proposes_nearest_responder(rig: Rig) -> None:
    hh = rig.household()
    rig.alarm(hh)
    rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) >= 0, timeout=10000)
    rig.window.select(rig.incident(hh.code).id)
    rig.key(Qt.Key.Key_A)
    rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "acknowledged", timeout=5000)
    rig.key(Qt.Key.Key_D)
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, DispatchDialog))
    dlg = rig.window.panel.active_dialog
    assert isinstance(dlg, DispatchDialog)
    assert dlg.list.count() >= 1
    rig.key(Qt.Key.Key_Return)
    rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "dispatched", timeout=5000)
    assert rig.incident(hh.code).responder


def test_missed_five_minutes_turns_the_row_red_and_escalates(rig: Rig) -> None:
    hh = rig.household()
    rig.alarm(hh)
    rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) >= 0, timeout=10000)
    rig.window.select(rig.incident(hh.code).id)
    rig.key(Qt.Key.Key_A)
    rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "acknowledged", timeout=5000)
    assert not rig.incident(hh.code).missed
    rig.clock.advance(5 * 60 + 1)
    rig.core.engine.poke()
    rig.qtbot.waitUntil(lambda: 5 in rig.incident(hh.code).missed, timeout=5000)
    inc = rig.incident(hh.code)
    assert "district" in inc.escalations
    model = rig.window.queue
    row = rig.row_for(hh.code)
    assert row == 0  # the only open incident (order is by triage lane and score, not by deadline)
    brush = model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole)
    assert brush is not None and brush.color().red() > 200
    assert "escalated" in model.data(model.index(row, model.COLUMNS.index("flags")))
    assert "tick" in rig.journal_types()


def test_revealing_a_masked_number_is_journaled(rig: Rig) -> None:
    from tests.gui.test_privacy_ui import reason_dialog

    hh = rig.household()
    rig.window.open_household(hh.code)
    rig.qtbot.waitUntil(lambda: rig.window.house_file is not None, timeout=5000)
    f = rig.window.house_file
    assert f is not None
    masked = f.contacts.item(0, 2).text()
    assert "****" in masked and masked != hh.contacts[0].phone
    f.reveal_buttons[0].click()
    why = reason_dialog(rig.qtbot)  # a reveal names a reason (#20)
    why.quick[0].click()
    why.accept()
    rig.qtbot.waitUntil(lambda: f.contacts.item(0, 2).text() == hh.contacts[0].phone, timeout=5000)
    rig.qtbot.waitUntil(lambda: "reveal" in rig.journal_types(), timeout=5000)
    rec = next(r for r in rig.core.store.journal.read(1) if r.type == "reveal")
    body = ev.decode(rec.body)
    assert isinstance(body, ev.RevealContact) and body.operator == "op1" and hh.contacts[0].id in body.field
    assert body.reason
    # the resident's ID number likewise
    resident = hh.residents[0]
    assert f.people.item(0, 3).text() != resident.id_number
    f.reveal_id_buttons[0].click()
    why = reason_dialog(rig.qtbot)
    why.text.setText("核对身份")
    why.accept()
    rig.qtbot.waitUntil(lambda: f.people.item(0, 3).text() == resident.id_number, timeout=5000)
    rig.qtbot.waitUntil(
        lambda: sum(1 for r in rig.core.store.journal.read(1) if r.type == "reveal") == 2, timeout=5000
    )
    last = [ev.decode(r.body) for r in rig.core.store.journal.read(1) if r.type == "reveal"][-1]
    assert isinstance(last, ev.RevealContact) and last.field == f"resident:{resident.id}:id_number"


def test_township_officer_sees_only_their_township(
    tmp_path: Path, mosquitto: Any, register: Any, qtbot: Any
) -> None:
    townships = sorted({h.township for h in register.households.values()})
    mine, other = townships[0], townships[1]
    rig = Rig(tmp_path, mosquitto, register, qtbot, Operator("op2", "township_officer", mine, "镇街值班员"))
    try:
        a, b = rig.household(mine), rig.household(other)
        rig.alarm(b)
        rig.alarm(a)
        rig.qtbot.waitUntil(lambda: rig.row_for(a.code) >= 0, timeout=10000)
        rig.qtbot.waitUntil(
            lambda: rig.core.engine.query(lambda w: len(w.open_by_household)).result(5) == 2, timeout=10000
        )
        assert rig.row_for(b.code) < 0
        # and the domain refuses a command on the other township's incident
        other_id = rig.core.engine.query(lambda w: w.open_by_household[b.code]).result(5)
        rig.window.send(
            ev.CompleteStep(
                at=0, operator="op2", console=rig.settings.console_id, incident=other_id, step="ack"
            )
        )
        rig.qtbot.waitUntil(lambda: rig.window.refusals_shown == 1, timeout=5000)
        assert rig.window.panel.refusal.isVisible() or rig.window.panel.refusal.text()
        assert "township" in rig.window.panel.refusal.text()
    finally:
        rig.close()


def test_banner_appears_when_the_broker_stops(rig: Rig) -> None:
    assert not rig.window.banner.isVisible()
    rig.broker.stop()
    rig.qtbot.waitUntil(lambda: rig.window.banner.isVisible(), timeout=15000)
    assert "BUS" in rig.window.banner.text()
    rig.broker.start()
    rig.qtbot.waitUntil(lambda: not rig.window.banner.isVisible(), timeout=20000)


def test_full_disk_keeps_alarms_on_screen_shouts_and_writes_them_later(
    tmp_path: Path, mosquitto: Any, register: Any, qtbot: Any
) -> None:
    import sqlite3

    from console.domain.chain import verify
    from console.io.store.store import SqlStore

    path = tmp_path / "journal.sqlite"
    first = SqlStore(path)
    first.save_register(register)
    first.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    # a real SQLITE_FULL: the file may not grow past a few more pages
    full = SqlStore(path, pragmas={"max_page_count": pages + 40})
    rig = Rig(tmp_path, mosquitto, register, qtbot, Operator("op1", "district_officer", "*"), store=full)
    try:
        plays = rig.window.sound.plays
        homes = [h for h in register.households.values() if any(d.kind == "smoke" for d in h.devices)]
        sent = []
        for hh in homes:
            rig.alarm(hh)
            sent.append(hh.code)
            QApplication.processEvents()
            st = rig.window.status
            if st is not None and st.journal != "ok":
                break
        rig.qtbot.waitUntil(
            lambda: rig.window.status is not None and rig.window.status.journal != "ok", timeout=10000
        )
        rig.qtbot.waitUntil(lambda: rig.window.banner.isVisible(), timeout=5000)
        assert "JOURNAL" in rig.window.banner.text()
        assert rig.window.sound.plays > plays
        # the alarms that could not be written are on screen all the same
        last = sent[-1]
        rig.qtbot.waitUntil(lambda: rig.row_for(last) >= 0, timeout=10000)
        held = rig.window.status.pending
        assert held > 0
        # space comes back (the operator cleared the disk): everything held is written, in order
        rig.core.engine.journal = SqlStore(path).journal
        rig.core.engine.poke()
        rig.qtbot.waitUntil(lambda: rig.window.status.journal == "ok", timeout=15000)
        rig.qtbot.waitUntil(lambda: not rig.window.banner.isVisible(), timeout=5000)
        journal = SqlStore(path)
        keys = {r.key.split("/")[0] for r in journal.journal.read(1) if r.type == "dev"}
        homes_by_code = {h.code: h for h in homes}
        for code in sent:
            smoke = next(d.id for d in homes_by_code[code].devices if d.kind == "smoke")
            assert smoke in keys
        assert verify(journal.journal.read(1)) is None
        assert any(r.type == "sys" and b"journal_recovered" in r.body for r in journal.journal.read(1))
        journal.close()
    finally:
        rig.close()


def test_shift_handover_lists_open_incidents_and_records_who_to_whom(
    tmp_path: Path, mosquitto: Any, register: Any, qtbot: Any
) -> None:
    from console.ui.handover import HandoverDialog

    rig = Rig(tmp_path, mosquitto, register, qtbot, Operator("op1", "district_officer", "*", "甲"))
    try:
        rig.core.store.add_operator("op9", "乙", "district_officer", "*", "night-shift-9")
        rig.window.check_login = rig.core.store.check_login
        hh = rig.household()
        rig.alarm(hh)
        rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) >= 0, timeout=10000)
        rig.window.handover()
        dlg = rig.window.handover_dialog
        assert isinstance(dlg, HandoverDialog)
        assert dlg.list.count() == 1 and hh.code in dlg.list.item(0).text()
        dlg.user.setText("op9")
        dlg.password.setText("wrong-password")
        dlg.try_login()
        assert dlg.isVisible() and dlg.error.text()
        dlg.password.setText("night-shift-9")
        dlg.try_login()
        rig.qtbot.waitUntil(lambda: "handover" in rig.journal_types(), timeout=5000)
        rec = next(r for r in rig.core.store.journal.read(1) if r.type == "handover")
        body = ev.decode(rec.body)
        assert isinstance(body, ev.Handover)
        assert (body.from_operator, body.to_operator) == ("op1", "op9")
        assert body.open_incidents == (rig.incident(hh.code).id,)
        assert rig.window.op.id == "op9"
        # the incoming officer's commands are accepted (their session is live)
        rig.window.select(rig.incident(hh.code).id)
        rig.key(Qt.Key.Key_A)
        rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "acknowledged", timeout=5000)
        assert rig.incident(hh.code).steps["ack"].operator == "op9"
    finally:
        rig.close()


def test_banner_when_the_console_clock_is_off_from_the_devices(rig: Rig) -> None:
    """Devices keep time by the network; a console clock 90 s ahead shows up in their offsets."""
    assert not rig.window.banner.isVisible()
    homes = list(rig.register.households.values())[:8]
    msgs = []
    for i, hh in enumerate(homes):
        dev = hh.devices[0]
        ts = rig.clock.now_ns() - 90 * NS
        msgs.append(
            (device_topic("SIM", hh.township, dev.id), payload(dev.id, dev.kind, "heartbeat", ts, f"hb{i}"))
        )
    publish_paho(rig.broker, msgs)
    rig.qtbot.waitUntil(lambda: rig.window.banner.isVisible(), timeout=10000)
    assert "CLOCK" in rig.window.banner.text()


def test_alert_sounds_for_a_new_incident_and_repeats_until_acknowledged(rig: Rig) -> None:
    from console.ui.sound import REPEAT_EVERY_S

    hh = rig.household()
    plays = rig.window.sound.plays
    rig.alarm(hh)
    rig.qtbot.waitUntil(lambda: rig.row_for(hh.code) >= 0, timeout=10000)
    rig.qtbot.waitUntil(lambda: rig.window.sound.plays > plays, timeout=5000)
    assert rig.window.sound.last_kind == "new_incident"
    rig.window.timer.stop()  # drive the once-a-second tick by hand: no waiting on real time
    before = rig.window.sound.plays
    for _ in range(REPEAT_EVERY_S):
        rig.window.on_second()
    assert rig.window.sound.plays == before + 1  # repeats while unacknowledged
    rig.window.select(rig.incident(hh.code).id)
    rig.key(Qt.Key.Key_A)
    rig.qtbot.waitUntil(lambda: rig.incident(hh.code).state == "acknowledged", timeout=5000)
    quiet = rig.window.sound.plays
    for _ in range(3 * REPEAT_EVERY_S):
        rig.window.on_second()
    assert rig.window.sound.plays == quiet
