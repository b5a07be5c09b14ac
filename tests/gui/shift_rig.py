"""A window driven through a realistic incident without a broker: a real engine over a SQLite
journal, the real MainWindow, a FakeClock, events handed in as the bus and the gateway would
(alarm, receipts, a failure and its retry, a field reply, a device trouble). Nothing sleeps:
the engine is synced by a query, the window waited on by condition."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.bootstrap import make_world, templates, triage
from console.domain import events as ev
from console.io.store.store import SqlStore
from console.sim.district import generate
from console.ui.main_window import MainWindow
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from tests.support import NS, T0, Publisher

_ids = itertools.count(1)


class ShiftRig:
    def __init__(
        self,
        qtbot: Any,
        path: Path,
        role: str = "district_officer",
        scope: str = "*",
        households: int = 20,
    ) -> None:
        self.qtbot = qtbot
        self.register = generate(seed=7, households=households)
        self.clock = FakeClock(T0)
        self.sink = QtSink()
        self.console = f"shift{next(_ids)}"
        self.store = SqlStore(path)
        self.store.save_register(self.register)
        self.engine = Engine(
            make_world(self.register),
            self.store.journal,
            self.clock,
            self.console,
            publisher=Publisher(),
            sink=self.sink,
        )
        self.engine.recover()
        self.engine.start()
        self.op = Operator("op1", role, scope, "值班员甲")
        self.engine.submit_command(
            ev.Login(at=0, operator="op1", console=self.console, role=role, scope=scope)
        )
        self.engine.submit_command(ev.BusStatus(at=0, state="connected"))
        self.window = MainWindow(self.engine, self.sink, templates(), self.op, self.console, triage=triage())
        self.window.timer.stop()  # the 1 s tick is driven by hand
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        qtbot.waitUntil(lambda: self.window.status is not None and self.window.status.bus == "connected")

    # --- the engine ------------------------------------------------------------------------

    def sync(self) -> None:
        self.engine.query(lambda w: None).result(10)

    def world(self, fn: Callable[[Any], Any]) -> Any:
        return self.engine.query(fn).result(10)

    def submit(self, e: ev.AnyEvent) -> None:
        self.engine.submit_command(e)
        self.sync()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.engine.poke()
        self.sync()

    def caught_up(self) -> None:
        self.sync()
        want = self.world(lambda w: {i.id: i.version for i in w.open_incidents()})
        self.qtbot.waitUntil(
            lambda: {k: v.version for k, v in self.window.queue.incidents.items()} == want, timeout=10_000
        )

    def records(self, type_: str) -> list[Any]:
        return [ev.decode(r.body) for r in self.store.journal.read(1) if r.type == type_]

    # --- the district ------------------------------------------------------------------------

    def household(self, township: str | None = None) -> Any:
        for hh in self.register.households.values():
            if township is None or hh.township == township:
                if any(d.kind == "smoke" for d in hh.devices) and any(
                    c.role == "grid_worker" for c in hh.contacts
                ):
                    return hh
        raise AssertionError("no household")

    def device_event(self, hh: Any, evt: str, kind: str = "smoke") -> None:
        dev = next(d for d in hh.devices if d.kind == kind)
        self.submit(
            ev.DeviceEvent(
                at=0,
                district=hh.district,
                township=hh.township,
                dev=dev.id,
                id=f"e{next(_ids)}",
                kind=kind,
                evt=evt,
                ts=self.clock.now_ns(),
            )
        )

    def incident_of(self, hh: Any) -> Any:
        return self.world(lambda w: next(i for i in w.incidents.values() if i.household == hh.code))

    def receipt(self, req: str, status: str, detail: str = "") -> None:
        self.submit(ev.NotifyReceipt(at=0, req=req, status=status, detail=detail, provider="sim"))

    def realistic_incident(self) -> Any:
        """Alarm, notifications accepted and delivered, one failed and retried, a grid worker's
        "1" (going), a low-battery ticket, the officer acknowledging: the window caught up."""
        hh = self.household()
        self.device_event(hh, "alarm")
        inc = self.incident_of(hh)
        self.qtbot.waitUntil(lambda: inc.id in self.window.queue.incidents, timeout=10_000)
        self.window.select(inc.id)
        self.window.panel.do_action("acknowledge")
        self.sync()
        notes = list(self.incident_of(hh).notifications.values())
        for n in notes:
            self.receipt(n.req, "accepted")
        guardian = next(n for n in notes if n.role == "guardian")
        self.receipt(guardian.req, "failed", "number unreachable")
        self.advance(guardian.retry_after_s + 1)
        for n in notes:
            if n.role in ("elder",) and n.channel == "sms":
                self.receipt(n.req, "delivered")
        grid = next(n for n in notes if n.role == "grid_worker")
        self.submit(ev.FieldReply(at=0, id=f"r{next(_ids)}", req=grid.req, sender=grid.to, text="1"))
        other = next(h for h in self.register.households.values() if h.code != hh.code)
        self.device_event(other, "low_battery")
        self.caught_up()
        self.qtbot.waitUntil(lambda: self.window.ticket_table.rowCount() >= 1, timeout=10_000)
        self.window.select(inc.id)
        return hh

    def close(self) -> None:
        for w in QApplication.topLevelWidgets():
            if w is not self.window and w.isVisible() and w.parent() is self.window:
                w.close()
        self.window.close()
        self.engine.stop()
        self.store.close()


__all__ = ["NS", "ShiftRig"]
