"""KPI speed on a synthetic month, and the synthetic month itself (tests use it too).

``python -m console bench kpi --json [--records N] [--households N] [--days N] [--save-every N] [--no-report]``

``kpi_cold_s`` folds the whole journal from nothing; ``kpi_s`` is what the console and reports pay:
the newest KPI checkpoint (as the live console leaves them, at the worst: ``save_every - 1``
records behind the end) plus the tail, from SQLite; ``warm_matches_cold`` checks they agree.

The month is built event by event through the same fold the KPIs use, so every operator step is
one the World accepts (a refused step would be a bug in the generator and is counted). Devices
beat every 4 h in batches; a few go silent for a day (offline tickets), a few report faults and
low batteries that officers close; alarms arrive at random and officers work the checklist with
delays drawn so that some incidents miss the 1, 5 or 30 minute mark.

Top-level imports: stdlib + msgspec + console.domain/app only (unit tests import this module).
"""

from __future__ import annotations

import argparse
import heapq
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from console.app.data import load_templates, load_weights
from console.app.kpi import KpiFold
from console.app.kpi_defs import DAY_NS, HOUR_NS, day_ns
from console.app.memjournal import MemoryJournal
from console.domain import events as ev
from console.domain.checklist import FALSE_ALARM_CAUSES, Template
from console.domain.deadlines import NS
from console.domain.effects import CommandRefused, PublishRequest
from console.domain.registry import Register
from console.paths import resource

HB_S: Final = 4 * 3600
CONSOLE: Final = "bench-1"
OPERATOR: Final = "op-bench"
START: Final = day_ns(2026, 11, 1)

Row = tuple[int, str, str, str, bytes]


def templates_and_weights() -> tuple[dict[str, Template], Any]:
    return load_templates(resource("checklists")), load_weights(resource("risk.toml"))


class SyntheticMonth:
    """Generates (at, source, type, key, body) rows in journal order; ``fold`` ends as the KPI
    fold of exactly those rows (handy for checking a second computation against it)."""

    def __init__(
        self,
        register: Register,
        *,
        seed: int = 11,
        start: int = START,
        days: int = 30,
        alarms_per_day: float = 40.0,
        beats_per_record: int = 4,
        silent_share: float = 0.02,
        trouble_per_day: float = 6.0,
    ) -> None:
        self.register = register
        self.rng = random.Random(seed)
        self.start = start
        self.end = start + days * DAY_NS
        self.days = days
        self.alarms_per_day = alarms_per_day
        self.beats_per_record = beats_per_record
        self.silent_share = silent_share
        self.trouble_per_day = trouble_per_day
        templates, weights = templates_and_weights()
        self.templates = templates
        self.fold = KpiFold(register, templates, weights)
        self.refused: list[CommandRefused] = []
        self.rows = 0
        self._heap: list[tuple[int, int, Any]] = []
        self._n = 0
        self._last_at = 0
        self._closing: set[int] = set()  # tickets with a close already scheduled

    # --- scheduling ----------------------------------------------------------------------

    def _at(self, at: int, item: Any) -> None:
        self._n += 1
        heapq.heappush(self._heap, (at, self._n, item))

    def _beats(self) -> Iterator[tuple[int, ev.Heartbeats]]:
        """Heartbeat batches in time order: every device once per 4 h at its own phase."""
        rng = self.rng
        devs = sorted(self.register.device_index)
        phase = {d: rng.randrange(HB_S * NS) for d in devs}
        order = sorted(devs, key=phase.__getitem__)
        silent: dict[str, tuple[int, int]] = {}
        for d in devs:
            if rng.random() < self.silent_share:
                a = self.start + rng.randrange((self.end - self.start) // 2)
                silent[d] = (a, a + rng.randrange(DAY_NS // 2, 2 * DAY_NS))
        town = {d: self.register.households[c].township for d, c in self.register.device_index.items()}
        cycle = self.start
        batch: list[ev.Beat] = []
        while cycle < self.end:
            for d in order:
                at = cycle + phase[d]
                s = silent.get(d)
                if at >= self.end or (s is not None and s[0] <= at < s[1]):
                    continue
                batch.append(ev.Beat(d, at, 80, -70, HB_S))
                if len(batch) >= self.beats_per_record:
                    yield at, ev.Heartbeats(at=at, township=town[d], beats=tuple(batch))
                    batch = []
            cycle += HB_S * NS

    def _plan(self) -> None:
        rng = self.rng
        reg = self.register
        codes = sorted(reg.households)
        self._at(self.start, ev.SystemNote(at=0, what="start", detail=CONSOLE))
        self._at(
            self.start + 1,
            ev.Login(at=0, operator=OPERATOR, console=CONSOLE, role="district_officer", scope="*"),
        )
        for h in range(1, self.days * 24):
            self._at(self.start + h * HOUR_NS, ev.Tick(at=0))
        n_alarms = int(self.alarms_per_day * self.days)
        for i in range(n_alarms):
            hh = reg.households[rng.choice(codes)]
            if not hh.devices:
                continue
            dv = rng.choice(hh.devices)
            at = self.start + rng.randrange(self.end - self.start - HOUR_NS)
            self._at(at, ("alarm", hh.code, dv.id, dv.kind, f"a{i}"))
        for i in range(int(self.trouble_per_day * self.days)):
            hh = reg.households[rng.choice(codes)]
            if not hh.devices:
                continue
            dv = rng.choice(hh.devices)
            evt = rng.choice(("fault", "low_battery", "tamper"))
            at = self.start + rng.randrange(self.end - self.start)
            self._at(at, ("trouble", hh.code, dv.id, dv.kind, evt, f"t{i}"))

    # --- handling ------------------------------------------------------------------------

    def _device(self, code: str, dev: str, kind: str, evt: str, id_: str, at: int) -> ev.DeviceEvent:
        hh = self.register.households[code]
        return ev.DeviceEvent(
            at=at, district=hh.district, township=hh.township, dev=dev, id=id_, kind=kind, evt=evt, ts=at
        )

    def _steps(self, iid: int, kind: str, at: int) -> None:
        rng = self.rng
        t = self.templates[kind]
        false = rng.random() < 0.6
        cause = ("cooking_smoke" if kind == "smoke" else "false_alarm") if false else _real_cause(kind)
        steps = [s for s in t.steps if s.required and not (false and cause in s.waived_by_causes)]
        resolve = next(s for s in steps if s.action == "resolve")
        if false:
            steps.remove(resolve)
            steps.insert(1, resolve)
        when = at + int(rng.uniform(8, 75) * NS)  # ack: now and then past the 1 minute mark
        for k, s in enumerate(steps):
            if k > 0:
                if s.action == "dispatch":
                    when = max(when + 5 * NS, at + int(rng.uniform(70, 340) * NS))
                else:
                    when += int(rng.uniform(30, 500 if false else 600) * NS)  # some miss 30 min
            values = {name: ("GW1" if name == "responder" else "ok") for name in s.records}
            if "cause" in s.records:
                values["cause"] = cause
            self._at(
                when,
                ev.CompleteStep(
                    at=0, operator=OPERATOR, console=CONSOLE, incident=iid, step=s.id, values=values
                ),
            )
        for minute in (1, 5, 30):  # the engine's timer at each mark
            self._at(at + minute * 60 * NS + 1, ev.Tick(at=0))

    def _apply(self, e: ev.AnyEvent) -> tuple[list[Any], Row]:
        at = max(e.at, self._last_at + 1)
        self._last_at = at
        if e.at != at:
            e = msgspec.structs.replace(e, at=at)
        fx = self.fold.feed(e)
        self.refused.extend(f for f in fx if isinstance(f, CommandRefused))
        self.rows += 1
        return fx, (at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e))

    def rows_iter(self) -> Iterator[Row]:
        self._plan()
        beats = self._beats()
        nxt = next(beats, None)
        while self._heap or nxt is not None:
            if nxt is not None and (not self._heap or nxt[0] <= self._heap[0][0]):
                _, hb = nxt
                nxt = next(beats, None)
                yield self._apply(hb)[1]
                continue
            at, _, item = heapq.heappop(self._heap)
            if isinstance(item, tuple):
                yield from self._scripted(at, item)
                continue
            fx, row = self._apply(msgspec.structs.replace(item, at=at))
            yield row
            yield from self._published(fx, row[0])

    def _scripted(self, at: int, item: tuple[str, ...]) -> Iterator[Row]:
        if item[0] == "alarm":
            _, code, dev, kind, id_ = item
            before = self.fold.world.next_incident
            fx, row = self._apply(self._device(code, dev, kind, "alarm", id_, at))
            yield row
            yield from self._published(fx, row[0])
            if self.fold.world.next_incident > before:
                self._steps(before, kind, row[0])
            return
        _, code, dev, kind, evt, id_ = item
        fx, row = self._apply(self._device(code, dev, kind, evt, id_, at))
        yield row
        tid = self.fold.world.open_ticket.get((dev, evt))
        if tid is not None and tid not in self._closing and self.rng.random() < 0.7:
            self._closing.add(tid)
            close_at = row[0] + int(self.rng.uniform(0.5, 60) * HOUR_NS)
            self._at(
                close_at,
                ev.TicketAction(
                    at=0, operator=OPERATOR, console=CONSOLE, ticket=tid, action="close", note="ok"
                ),
            )

    def _published(self, fx: list[Any], at: int) -> Iterator[Row]:
        reqs = tuple(f.request.req for f in fx if isinstance(f, PublishRequest))
        if not reqs:
            return
        _, row = self._apply(ev.NotifyPublished(at=at + 200_000_000, reqs=reqs))
        yield row
        for req in reqs:  # a provider takes each a second later (the gateway's receipts) ...
            self._at(row[0] + NS, ev.NotifyReceipt(at=0, req=req, status="accepted", provider="sim"))
        for req in reqs[:2]:  # ... and delivers the first two
            self._at(row[0] + 4 * NS, ev.NotifyReceipt(at=0, req=req, status="delivered"))


def _real_cause(kind: str) -> str:
    return {"smoke": "real_fire", "co": "co_poisoning", "gas": "gas_leak"}.get(kind, "electrical_fault")


assert "cooking_smoke" in FALSE_ALARM_CAUSES


def synthetic_journal(register: Register, journal: Any, chunk: int = 20_000, **kwargs: Any) -> SyntheticMonth:
    """Append a synthetic month to ``journal`` (MemoryJournal or SqlJournal)."""
    month = SyntheticMonth(register, **kwargs)
    buf: list[Row] = []
    for row in month.rows_iter():
        buf.append(row)
        if len(buf) >= chunk:
            journal.append(buf, CONSOLE)
            buf = []
    if buf:
        journal.append(buf, CONSOLE)
    return month


def households_for(records: int, days: int, beats_per_record: int) -> int:
    """Register size whose 4-hourly heartbeats make about ``records`` batches over ``days``."""
    beats = records * beats_per_record
    devices = beats / (days * 86_400 / HB_S)
    return max(50, int(devices / 3.4))


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench kpi")
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--households", type=int, default=None)
    p.add_argument("--beats-per-record", type=int, default=4)
    p.add_argument("--save-every", type=int, default=None, help="checkpoint interval (default 50,000)")
    p.add_argument("--no-report", action="store_true", help="skip the monthly report figure")
    a = p.parse_args(argv)
    from console.io.kpi_store import SAVE_EVERY
    from console.sim.district import generate

    save_every = a.save_every or SAVE_EVERY
    households = a.households or households_for(a.records, a.days, a.beats_per_record)
    register = generate(seed=7, households=households)
    templates, weights = templates_and_weights()
    mem = MemoryJournal()
    t = time.perf_counter()
    month = synthetic_journal(register, mem, days=a.days, beats_per_record=a.beats_per_record)
    gen_s = time.perf_counter() - t
    now = month.end + HOUR_NS
    records = mem.records

    def kpis_from(bodies: Any) -> tuple[float, float, Any]:
        t0, c0 = time.perf_counter(), time.process_time()
        fold = KpiFold(register, templates, weights)
        for body in bodies:
            fold.feed_body(body)
        k = fold.snapshot(now, month.start, month.end)
        return time.perf_counter() - t0, time.process_time() - c0, k

    cold_s, cold_cpu, kpis = kpis_from(r.body for r in records if r.at <= now)
    out: dict[str, Any] = {
        "records": len(records),
        "households": households,
        "devices": len(register.device_index),
        "incidents": kpis.incidents,
        "generate_s": round(gen_s, 2),
        "kpi_cold_s": round(cold_s, 3),
        "kpi_cold_cpu_s": round(cold_cpu, 3),
        "kpi_cold_records_per_s": round(len(records) / cold_s),
        "target_kpi_s": 2.0,
        "refused_steps": len(month.refused),
    }
    with tempfile.TemporaryDirectory(prefix="bench-kpi-") as tmp:
        from console.io.store import SqlStore

        db = Path(tmp) / "journal.sqlite"
        store = SqlStore(f"sqlite:///{db}")
        store.save_register(register)
        t = time.perf_counter()
        for i in range(0, len(records), 50_000):
            store.journal.append(
                [(r.at, r.source, r.type, r.key, r.body) for r in records[i : i + 50_000]], CONSOLE
            )
        out["sqlite_write_s"] = round(time.perf_counter() - t, 2)
        from console.reports.data import read_bodies

        s, c, k2 = kpis_from(read_bodies(store, now))
        out["kpi_cold_from_sqlite_s"] = round(s, 3)
        out["kpi_cold_from_sqlite_cpu_s"] = round(c, 3)
        out["sqlite_matches_memory"] = k2 == kpis
        out.update(_warm(store, register, templates, weights, month, now, save_every, kpis))
        if not a.no_report:
            from console.reports.build import build_report
            from console.reports.pdf import ensure_gui_app

            ensure_gui_app()  # QTextDocument needs a QGuiApplication (offscreen when headless)

            t = time.perf_counter()
            pdf = build_report(store, "monthly", "2026-11", Path(tmp) / "m.pdf")
            out["monthly_report_pdf_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            build_report(store, "monthly", "2026-11", Path(tmp) / "m.xlsx")
            out["monthly_report_xlsx_s"] = round(time.perf_counter() - t, 2)
            out["monthly_report_pdf_bytes"] = pdf.stat().st_size
        store.close()
    return out


def _warm(
    store: Any,
    register: Register,
    templates: dict[str, Template],
    weights: Any,
    month: SyntheticMonth,
    now: int,
    save_every: int,
    cold: Any,
) -> dict[str, Any]:
    """The production path, at its worst: checkpoints as the live console leaves them (one every
    ``save_every`` records, the newest a full ``save_every - 1`` records behind the end), then the
    KPIs at the end from the store: load the newest, fold the tail, take the snapshot."""
    from console.io.kpi_store import KpiCursor, compute_from_store
    from console.io.store.fold_checkpoints import list_fold_checkpoints

    last = store.journal.last()
    end_seq = last.seq if last is not None else 0
    live = KpiCursor(store, register, templates, weights, save_every=save_every)
    t = time.perf_counter()
    live.feed(now, to_seq=max(0, end_seq - (save_every - 1)))
    if live.since_save:
        live.save()  # the newest checkpoint: save_every - 1 records before the end
    pass_s = time.perf_counter() - t
    t = time.perf_counter()
    kpis, cursor = compute_from_store(store, register, templates, weights, now, month.start, month.end)
    warm_s = time.perf_counter() - t
    assert cursor.fold is not None
    t = time.perf_counter()
    cursor.feed(now)  # a live refresh with nothing new: what the panel costs when idle
    cursor.fold.snapshot(now, month.start, month.end)
    idle_s = time.perf_counter() - t
    saves = live.saves
    stored = list_fold_checkpoints(store.engine, "kpi")
    return {
        "kpi_s": round(warm_s, 3),
        "kpi_from_checkpoint_seq": cursor.loaded_seq,
        "kpi_from_checkpoint_tail_records": cursor.folded,
        "kpi_checkpoint_load_s": round(cursor.load_s, 3),
        "warm_matches_cold": kpis == cold,
        "kpi_live_idle_refresh_s": round(idle_s, 3),
        "checkpoint_every": save_every,
        "checkpoint_pass_s": round(pass_s, 2),
        "checkpoints_saved": len(saves),
        "checkpoints_kept": len(stored),
        "checkpoint_bytes": saves[-1].size if saves else 0,
        "checkpoint_dump_s": round(max((s.dump_s for s in saves), default=0.0), 3),
        "checkpoint_write_s": round(max((s.write_s for s in saves), default=0.0), 3),
    }
