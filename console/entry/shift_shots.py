"""The screenshot gallery of a duty officer's shift (``python -m console screenshots --shift``):
each thing a new officer meets, in Chinese and in English, as PNG files under
``{out}/shift/{locale}/``.

Deterministic and offscreen: the synthetic district (fixed seed), a real engine over an
in-memory journal under a FakeClock (the shipped checklists and escalation numbers), the real
MainWindow and dialogs; the gateway's receipts and a grid worker's reply handed to the engine as
the bus would. No map (the storm gallery has it).

The scenes, in the order of a shift (``SCENES``): the login; the queue with a fresh alarm; the
incident with its notifications accepted and delivered, one failed and retried, the grid
worker's "1"; the reason a masked number is revealed for; the household file, numbers masked;
the elder call; informing the family; the close of a real fire (what was and was not confirmed,
119 proposed); the maintenance tab with tickets; the handover.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SCENES = (
    "01-login",
    "02-queue-new-alarm",
    "03-incident-notifications",
    "04-reveal-reason",
    "05-household-file",
    "06-call-elder",
    "07-inform-family",
    "08-close-real-fire",
    "09-maintenance",
    "10-handover",
)
# a morning shift: 2026-03-05 08:00 China Standard Time
START = int(datetime(2026, 3, 5, 8, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()) * 1_000_000_000
NS = 1_000_000_000
_ids = itertools.count(1)


class _Acked:
    """The engine's publisher: every request taken by the broker at once (receipts come by hand)."""

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, on_acked: Callable[[], None] | None = None
    ) -> bool:
        if on_acked is not None:
            on_acked()
        return True


def shoot_shift(
    app: Any, locale: str, out: Path, size: tuple[int, int], wait: Callable[[Callable[[], bool], str], None]
) -> list[Path]:
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication, QComboBox, QPlainTextEdit, QWidget

    from console.app.clock import FakeClock
    from console.app.engine import Engine
    from console.app.memjournal import MemoryJournal
    from console.app.silence import Silence
    from console.bootstrap import make_world, services, templates, triage, ui_sink
    from console.domain import events as ev
    from console.sim.district import generate
    from console.ui.app import install_translations
    from console.ui.dialogs import ValuesDialog
    from console.ui.login import LoginDialog
    from console.ui.main_window import MainWindow
    from console.ui.operator import Operator
    from console.ui.personal import contact_field

    install_translations(app, locale)
    folder = out / "shift" / locale
    folder.mkdir(parents=True, exist_ok=True)
    register = generate(seed=7, households=40)
    cid = f"shift-{locale}"
    clock = FakeClock(START)
    sink = ui_sink()
    # the gallery's heartbeats reach the engine as records, not through the bus the silence
    # watch counts: that watch is given nothing to expect (no "district silent" banner)
    silence = Silence(register, min_expected=float("inf"))
    engine = Engine(make_world(register), MemoryJournal(), clock, cid, _Acked(), sink, silence=silence)
    engine.services = services()
    engine.start()
    name = "值班员 王芳" if locale == "zh_CN" else "Duty officer Wang Fang"
    engine.submit_command(
        ev.Login(at=0, operator="wangfang", console=cid, role="township_officer", scope="*")
    )
    engine.submit_command(ev.BusStatus(at=0, state="connected"))
    window = MainWindow(
        engine, sink, templates(), Operator("wangfang", "township_officer", "*", name), cid, triage=triage()
    )
    window.timer.stop()  # the 1 s tick is driven here, on the fake clock
    window.resize(*size)
    window.show()
    shots: list[Path] = []

    def sync() -> None:
        engine.query(lambda w: None).result(30)

    def caught_up() -> None:
        sync()
        want = engine.query(lambda w: {i.id: i.version for i in w.open_incidents()}).result(30)
        wait(lambda: {k: v.version for k, v in window.queue.incidents.items()} == want, "the queue")
        window.on_second()

    def save(widget: QWidget, scene: str) -> None:
        assert scene in SCENES
        for _ in range(3):
            QCoreApplication.processEvents()
        path = folder / f"{scene}.png"
        widget.grab().save(str(path))
        shots.append(path)

    def device(hh: Any, evt: str, kind: str = "smoke") -> None:
        dev = next(d for d in hh.devices if d.kind == kind)
        engine.submit_command(
            ev.DeviceEvent(
                at=0,
                district=hh.district,
                township=hh.township,
                dev=dev.id,
                id=f"shot{next(_ids)}",
                kind=kind,
                evt=evt,
                ts=clock.now_ns(),
            )
        )
        sync()

    def receipt(req: str, status: str, detail: str = "") -> None:
        engine.submit_command(
            ev.NotifyReceipt(at=0, req=req, status=status, detail=detail, provider="aliyun")
        )

    def dialog() -> ValuesDialog:
        wait(lambda: isinstance(window.panel.active_dialog, ValuesDialog), "a step's dialog")
        dlg = window.panel.active_dialog
        assert isinstance(dlg, ValuesDialog)
        dlg.show()
        return dlg

    def choose(dlg: ValuesDialog, **values: str) -> None:
        for field, code in values.items():
            box = dlg.fields[field]
            assert isinstance(box, QComboBox)
            box.setCurrentIndex(box.findData(code))

    def step(step_id: str) -> None:
        caught_up()
        t = window.panel.template()
        assert t is not None
        window.panel.complete(next(s for s in t.steps if s.id == step_id))

    def heartbeats() -> None:
        by_township: dict[str, list[ev.Beat]] = {}
        for h in register.households.values():
            for d in h.devices:
                by_township.setdefault(h.township, []).append(ev.Beat(d.id, clock.now_ns(), 90, -80, 3600))
        for township, beats in by_township.items():
            engine.submit_command(ev.Heartbeats(at=0, township=township, beats=tuple(beats)))
        sync()

    try:
        # 01 the login: the product, this console, the district
        hh = next(
            h
            for h in register.households.values()
            if h.contacts_by_role("elder")
            and h.contacts_by_role("grid_worker")
            and any(d.kind == "smoke" for d in h.devices)
        )
        login = LoginDialog(lambda _u, _p: None, None, console=cid, district=hh.district)
        login.show()
        save(login, "01-login")
        login.close()
        # 02 a smoke alarm comes in (every detector has been beating)
        heartbeats()
        clock.set(START + 3600 * NS)
        heartbeats()
        device(hh, "alarm")
        caught_up()
        iid = engine.query(
            lambda w: next(i.id for i in w.incidents.values() if i.household == hh.code)
        ).result(30)
        window.select(iid)
        save(window, "02-queue-new-alarm")
        # 03 acknowledged; the gateway's receipts; a failed call retried; the grid worker's "1"
        window.panel.do_action("acknowledge")
        sync()
        notes = engine.query(lambda w: list(w.incidents[iid].notifications.values())).result(30)
        for n in notes:
            receipt(n.req, "accepted")
        for n in notes:
            if n.channel == "sms" and n.role in ("elder", "guardian"):
                receipt(n.req, "delivered")
        guardian_call = next((n for n in notes if n.role == "guardian" and n.channel == "voice"), None)
        if guardian_call is not None:
            receipt(guardian_call.req, "failed", "provider:aliyun:isv.BUSINESS_LIMIT_CONTROL")
        sync()  # stamped now, before the clock moves on
        clock.advance(65)
        engine.poke()
        sync()
        grid = next(n for n in notes if n.role == "grid_worker" and n.channel == "sms")
        engine.submit_command(
            ev.FieldReply(
                at=0,
                id=f"shot-r{next(_ids)}",
                req=grid.req,
                sender=grid.to,
                text="1 马上到",
                provider="aliyun",
            )
        )
        caught_up()
        window.select(iid)
        save(window, "03-incident-notifications")
        # 04 a number to dial: the reveal asks why
        elder = hh.contacts_by_role("elder")[0]
        reason = window.reveals.ask(window, hh.code, contact_field(elder.id), elder.name)
        reason.show()
        save(reason, "04-reveal-reason")
        reason.reject()
        # 05 the household file: residents, contacts, devices; numbers masked
        window.open_household(hh.code)
        wait(lambda: window.house_file is not None, "the household file")
        assert window.house_file is not None
        save(window.house_file, "05-household-file")
        window.house_file.close()
        # 06 the elder call: outcome and how it was dialled
        step("call_elder")
        dlg = dialog()
        choose(dlg, outcome="safe", how="by_hand")
        save(dlg, "06-call-elder")
        dlg.accept()
        # the grid worker on site (by phone); the cause: a real fire, put out
        step("on_site")
        dlg = dialog()
        choose(dlg, confirmed_by="phone")
        dlg.accept()
        step("resolve")
        dlg = dialog()
        choose(dlg, cause="real_fire")
        dlg.accept()
        # 07 informing the family: whom, how
        step("inform")
        dlg = dialog()
        choose(dlg, who="both", how="call", outcome="safe")
        save(dlg, "07-inform-family")
        dlg.accept()
        # 08 the close of a real fire: what was confirmed, 119 proposed, the officer's own words
        step("close")
        dlg = dialog()
        feedback = dlg.fields["feedback"]
        assert isinstance(feedback, QPlainTextEdit)
        feedback.setPlainText(
            "厨房锅具起火，网格员到场前老人已用锅盖扑灭，无人受伤；已电话告知老人及监护人。"
            if locale == "zh_CN"
            else "A pan caught fire; the elder put it out with the lid before the grid worker came. Nobody hurt; elder and guardian told by phone."
        )
        save(dlg, "08-close-real-fire")
        dlg.reject()
        # 09 the maintenance tab: a low battery and an end-of-life detector elsewhere
        others = [h for h in register.households.values() if h.code != hh.code]
        device(others[0], "low_battery")
        device(others[1], "end_of_life", kind=next(d.kind for d in others[1].devices))
        caught_up()
        window.left_tabs.setCurrentIndex(1)
        save(window, "09-maintenance")
        window.left_tabs.setCurrentIndex(0)
        # 10 the handover: overdue first
        clock.advance(1800)
        heartbeats()
        engine.poke()
        caught_up()
        window.check_login = lambda _u, _p: None  # the incoming officer's login (never run here)
        window.handover()
        wait(
            lambda: QApplication.activeModalWidget() is not None or _handover(window) is not None,
            "the handover",
        )
        hand = QApplication.activeModalWidget() or _handover(window)
        assert hand is not None
        save(hand, "10-handover")
        hand.close()
        return shots
    finally:
        for w in QApplication.topLevelWidgets():
            if w is not window and w.isVisible():
                w.close()
        window.close()
        engine.stop()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _handover(window: Any) -> Any:
    from console.ui.handover import HandoverDialog

    return next((c for c in window.findChildren(HandoverDialog) if c.isVisible()), None)
