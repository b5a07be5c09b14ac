"""The KPI panel: headline numbers, alarms per hour and per day by kind, the online-rate line,
tickets by age and the township comparison, drawn with pyqtgraph.

``set_data(kpis)`` only draws (cheap). ``refresh(compute)`` runs ``compute`` (a journal fold,
possibly seconds long) on a worker thread and draws the result when it arrives, so the UI
thread never waits; requests arriving while one runs are coalesced into one more run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.kpi_defs import AGE_BUCKETS, AGE_OVER, Kpis
from console.domain.events import KINDS
from console.ui import words

KIND_COLOURS: Final = {"smoke": "#d9480f", "co": "#5f3dc4", "gas": "#1971c2", "electric": "#e8a200"}


def _t(text: str) -> str:
    return QCoreApplication.translate("kpi", text)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def minutes(s: float | None) -> str:
    return "—" if s is None else f"{s / 60:.1f}"


class _Bridge(QObject):
    done = Signal(object)
    failed = Signal(str)


class KpiPanel(QWidget):
    updated = Signal()  # after set_data drew new numbers
    failed = Signal(str)  # a refresh could not compute (message)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kpis: Kpis | None = None
        self._bridge = _Bridge()
        self._bridge.done.connect(self._arrived)
        self._bridge.failed.connect(self._failed)
        self._busy = False
        self._again: Callable[[], Kpis] | None = None
        self._thread: threading.Thread | None = None

        self.tiles: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        grid = QGridLayout()
        names = [
            ("alarms_24h", _t("Alarms, last 24 h")),
            ("incidents", _t("Incidents")),
            ("mark_1", _t("1 min met")),
            ("mark_5", _t("5 min met")),
            ("mark_30", _t("30 min met")),
            ("dispatch", _t("Dispatch median / p90 (min)")),
            ("closure", _t("Closure median / p90 (min)")),
            ("closure_rate", _t("Closure rate")),
            ("online", _t("Devices online")),
            ("tickets", _t("Open tickets")),
            # the 1-minute "alert out", split: a provider accepted / the message was delivered
            ("accepted_1", _t("Accepted within 1 min")),
            ("delivered_1", _t("Delivered within 1 min")),
        ]
        for i, (key, title) in enumerate(names):
            box = QVBoxLayout()
            cap = QLabel(title)
            cap.setStyleSheet("color: #495057;")
            val = QLabel("—")
            val.setObjectName(f"kpi_{key}")
            val.setStyleSheet("font-size: 18pt; font-weight: bold;")
            box.addWidget(cap)
            box.addWidget(val)
            grid.addLayout(box, i // 5, i % 5)
            self.tiles[key] = val
            self.captions[key] = cap

        pg.setConfigOptions(antialias=True)
        self.hourly = pg.PlotWidget(title=_t("Alarms per hour, last 24 h"))
        self.daily = pg.PlotWidget(title=_t("Alarms per day and devices online"))
        self.tickets = pg.PlotWidget(title=_t("Open tickets by age"))
        for w in (self.hourly, self.daily, self.tickets):
            w.setBackground("w")
            w.setMinimumHeight(160)
        self.hourly.addLegend(offset=(5, 5))
        self.online_view = pg.ViewBox()
        self.daily.showAxis("right")
        self.daily.scene().addItem(self.online_view)
        self.daily.getAxis("right").linkToView(self.online_view)
        self.online_view.setXLink(self.daily)
        self.online_view.setYRange(0, 1.0)
        self.daily.getAxis("right").setLabel(_t("online"))
        self.daily.getViewBox().sigResized.connect(self._sync_views)
        self.hourly_bars: dict[str, pg.BarGraphItem] = {}
        self.daily_bars: dict[str, pg.BarGraphItem] = {}
        self.online_curve = pg.PlotDataItem(pen=pg.mkPen("#2b8a3e", width=2), symbol="o", symbolSize=4)
        self.online_view.addItem(self.online_curve)
        self.ticket_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush="#868e96")
        self.tickets.addItem(self.ticket_bars)

        self.table = QTableWidget(0, 9)
        self.table.setHorizontalHeaderLabels(
            [
                _t("Township"),
                _t("Alarms"),
                _t("Incidents"),
                _t("1 min"),
                _t("5 min"),
                _t("30 min"),
                _t("Closure rate"),
                _t("Online"),
                _t("Tickets"),
            ]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        charts = QHBoxLayout()
        charts.addWidget(self.hourly, 2)
        charts.addWidget(self.daily, 3)
        charts.addWidget(self.tickets, 1)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #868e96;")
        root = QVBoxLayout(self)
        root.addLayout(grid)
        root.addLayout(charts, 2)
        root.addWidget(self.table, 1)
        root.addWidget(self.status)
        self._names = dict(names)

    def retranslate(self) -> None:
        """A language switch: captions, titles and headers again (the numbers stay)."""
        fresh = {
            "alarms_24h": _t("Alarms, last 24 h"),
            "incidents": _t("Incidents"),
            "mark_1": _t("1 min met"),
            "mark_5": _t("5 min met"),
            "mark_30": _t("30 min met"),
            "dispatch": _t("Dispatch median / p90 (min)"),
            "closure": _t("Closure median / p90 (min)"),
            "closure_rate": _t("Closure rate"),
            "online": _t("Devices online"),
            "tickets": _t("Open tickets"),
            "accepted_1": _t("Accepted within 1 min"),
            "delivered_1": _t("Delivered within 1 min"),
        }
        for key, cap in self.captions.items():
            cap.setText(fresh.get(key, self._names.get(key, key)))
        self.hourly.setTitle(_t("Alarms per hour, last 24 h"))
        self.daily.setTitle(_t("Alarms per day and devices online"))
        self.tickets.setTitle(_t("Open tickets by age"))
        self.daily.getAxis("right").setLabel(_t("online"))
        self.table.setHorizontalHeaderLabels(
            [
                _t("Township"),
                _t("Alarms"),
                _t("Incidents"),
                _t("1 min"),
                _t("5 min"),
                _t("30 min"),
                _t("Closure rate"),
                _t("Online"),
                _t("Tickets"),
            ]
        )
        if self.kpis is not None:
            self.set_data(self.kpis)

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def _sync_views(self) -> None:
        self.online_view.setGeometry(self.daily.getViewBox().sceneBoundingRect())

    # --- drawing -------------------------------------------------------------------------

    def set_data(self, kpis: Kpis) -> None:
        self.kpis = kpis
        t = self.tiles
        t["alarms_24h"].setText(str(sum(sum(v) for v in kpis.hourly.values())))
        t["incidents"].setText(str(kpis.incidents))
        for m in kpis.marks:
            label = t[f"mark_{m.minute}"]
            label.setText(pct(m.share))
            label.setToolTip(
                _t("{met} of {decided}; {pending} not yet due").format(
                    met=m.met, decided=m.decided, pending=m.pending
                )
            )
            label.setStyleSheet(
                "font-size: 18pt; font-weight: bold; color: %s;"
                % ("#c92a2a" if m.share is not None and m.share < 0.9 else "#212529")
            )
        t["dispatch"].setText(f"{minutes(kpis.dispatch.median_s)} / {minutes(kpis.dispatch.p90_s)}")
        t["closure"].setText(f"{minutes(kpis.closure.median_s)} / {minutes(kpis.closure.p90_s)}")
        t["closure_rate"].setText(pct(kpis.closure_rate))
        t["online"].setText(pct(kpis.online_rate))
        t["online"].setToolTip(f"{kpis.online} / {kpis.devices}")
        t["tickets"].setText(str(kpis.open_tickets))
        a = kpis.alert
        for key, share, n in (
            ("accepted_1", a.accepted_share if a else None, a.accepted if a else 0),
            ("delivered_1", a.delivered_share if a else None, a.delivered if a else 0),
        ):
            t[key].setText(pct(share))
            t[key].setToolTip(_t("{met} of {decided}").format(met=n, decided=a.decided if a else 0))
        self._stacked(self.hourly, self.hourly_bars, kpis.hourly, legend=True)
        self._stacked(self.daily, self.daily_bars, kpis.daily, legend=False)
        xs = [i for i, r in enumerate(kpis.online_daily) if r is not None]
        self.online_curve.setData(xs, [kpis.online_daily[i] for i in xs])
        ages = [name for name, _ in AGE_BUCKETS] + [AGE_OVER]
        self.ticket_bars.setOpts(
            x=list(range(len(ages))), height=[kpis.tickets_by_age.get(a, 0) for a in ages]
        )
        self.tickets.getAxis("bottom").setTicks([list(enumerate(ages))])
        self.daily.getAxis("bottom").setTicks(
            [[(i, d[5:]) for i, d in enumerate(kpis.days) if i % max(1, len(kpis.days) // 6) == 0]]
        )
        self._table(kpis)
        self.status.setText(
            _t("{n} journal records; period {a} to {b}").format(
                n=f"{kpis.records:,}",
                a=kpis.days[0] if kpis.days else "",
                b=kpis.days[-1] if kpis.days else "",
            )
        )
        self.updated.emit()

    def _stacked(
        self,
        plot: pg.PlotWidget,
        bars: dict[str, pg.BarGraphItem],
        series: dict[str, list[int]],
        legend: bool,
    ) -> None:
        n = max((len(v) for v in series.values()), default=0)
        base = [0] * n
        for kind in KINDS:
            values = series.get(kind, [0] * n)
            item = bars.get(kind)
            if item is None:
                item = pg.BarGraphItem(
                    x=[],
                    height=[],
                    width=0.8,
                    brush=KIND_COLOURS[kind],
                    name=words.kind(kind) if legend else None,
                )
                plot.addItem(item)
                bars[kind] = item
            item.setOpts(x=list(range(n)), height=list(values), y0=list(base), width=0.8)
            base = [b + v for b, v in zip(base, values, strict=False)]

    def _table(self, k: Kpis) -> None:
        self.table.setRowCount(len(k.townships))
        for r, tk in enumerate(k.townships):
            cells = [
                tk.name,
                str(tk.alarms),
                str(tk.incidents),
                *[pct(m.share) for m in tk.marks],
                pct(tk.closure_rate),
                pct(tk.online_rate),
                str(tk.open_tickets),
            ]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))

    # --- computing off the UI thread -----------------------------------------------------

    def refresh(self, compute: Callable[[], Kpis]) -> None:
        """Compute on a worker thread, then draw. While one runs, the newest request waits."""
        if self._busy:
            self._again = compute
            return
        self._busy = True
        self.status.setText(_t("Computing…"))

        def work() -> None:
            try:
                self._bridge.done.emit(compute())
            except Exception as exc:  # shown to the officer, never a crash
                self._bridge.failed.emit(f"{type(exc).__name__}: {exc}")

        self._thread = threading.Thread(target=work, name="kpi", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._busy

    def _next(self) -> None:
        self._busy = False
        again, self._again = self._again, None
        if again is not None:
            self.refresh(again)

    def _arrived(self, kpis: Kpis) -> None:
        self.set_data(kpis)
        self._next()

    def _failed(self, message: str) -> None:
        self.status.setText(_t("KPIs could not be computed: {m}").format(m=message))
        self.failed.emit(message)
        self._next()
