"""``python -m console headless``: the console core (bus, engine, journal) with no window.

For a server-room relay, for benchmarks and for the crash tests: it journals and acknowledges
exactly as the desktop console does. One status line per second on stdout; SIGTERM stops it.
With no window to show a banner, what the banner would say is logged (stderr, WARNING): a line
at every change of the bus state and when the journal starts or stops failing. The lines hold
counts and states only, never a household's or a device's data.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from console.app.alert_lines import QUARANTINE_MEANS
from console.config import add_flags, from_args

log = logging.getLogger("console.headless")


def status_line(st: Any) -> dict[str, Any]:
    """The status line: ``pending`` are events held in memory while the journal fails,
    ``held`` notifications held back by a storm, ``quarantine`` the quarantined messages,
    ``silent`` the silent townships ("*": the district), ``engine_restarts`` / ``engine_dead``
    the engine's watchdog (console/app/engine.py), ``register``/``register_households`` the
    register in force, ``unmatched`` traffic of which nothing is registered, ``scope_problems``
    a district or township of the settings that no household is in. Counts and codes only: no
    personal data."""
    return {
        "bus": st.bus,
        "journal": st.journal,
        "journal_error": st.journal_error,
        "pending": st.pending,
        "received": st.received,
        "duplicates": st.duplicates,
        "rejected": st.rejected,
        "quarantine": sum(st.quarantine.values()),
        "open": st.open_incidents,
        "storm": bool(st.storm is not None and st.storm.active),
        "held": len(st.held),
        "silent": [a.area for a in st.silent],
        "engine_restarts": st.engine_restarts,
        "engine_dead": st.engine_dead,
        "register": st.register_version,
        "register_households": st.register_households,
        # traffic heard, none of it from a registered device (console/app/mismatch.py)
        "unmatched": None
        if st.unmatched is None
        else {"messages": st.unmatched.messages, "devices": st.unmatched.devices},
        # the district / township the settings name, against the register ("district", code) ...
        "scope_problems": [list(p) for p in st.scope_problems],
        # notifications no provider accepted within 15 s (phone by hand) and the gateway's presence
        "unaccepted": len(st.unaccepted),
        "unaccepted_incidents": sorted({i for i, _r in st.unaccepted})[:50],
        "gateway": st.gateway,
        # ingest bridges gone, stale, full, or with a silent platform (console/app/bridges.py)
        "bridges": [[p.bridge, p.what, p.platform] for p in st.bridges],
        "seq": st.last_seq,
    }


def say_alerts(alerts: list[tuple[Any, dict[str, str]]], as_json: bool) -> None:
    """Each alert as a line in words on the log (WARNING), and as JSON on stdout with --json."""
    from console.app.alert_lines import as_json as alert_json
    from console.app.alert_lines import words

    for a, facts in alerts:
        log.warning("%s", words(a, facts))
        if as_json:
            print(json.dumps(alert_json(a, facts), ensure_ascii=False), flush=True)


class QuarantineWatch:
    """A line when payloads are quarantined, by reason, with what the reason means."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def see(self, quarantine: dict[str, int]) -> None:
        grown = {r: n - self.counts.get(r, 0) for r, n in quarantine.items() if n > self.counts.get(r, 0)}
        self.counts = dict(quarantine)
        if grown:
            parts = [
                f"{n} {r} ({QUARANTINE_MEANS.get(r, r.replace('_', ' '))})" for r, n in sorted(grown.items())
            ]
            log.warning(
                "QUARANTINED %d payload(s): %s; nothing of them opened an incident",
                sum(grown.values()),
                ", ".join(parts),
            )


class BusWatch:
    """Logs one line at each change of the bus client's state, woken by its ``changes``."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="headless-bus-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = None
        while True:
            self.bus.changes.wait_for(lambda seen=last: self._stop or self.bus.state != seen, 3600)
            if self._stop:
                return
            stats = self.bus.stats()
            state = stats["state"]
            if state == last:
                continue
            last = state
            detail = stats.get("state_detail") or ""
            log.warning(
                "bus %s%s (connects %d, reconnects %d)",
                state,
                f": {detail}" if detail else "",
                stats["connects"],
                stats["reconnects"],
            )

    def stop(self) -> None:
        self._stop = True
        self.bus.changes.bump()
        self._thread.join(5)


class JournalWatch:
    """Logs when the journal starts failing (what and how much is held) and when it is ok again."""

    def __init__(self) -> None:
        self.failing = False

    def see(self, st: Any) -> None:
        failing = st.journal != "ok"
        if failing and not self.failing:
            log.warning("journal failing: %s; %d events held in memory", st.journal_error or "?", st.pending)
        elif self.failing and not failing:
            log.warning("journal ok again: held events written (journal #%d)", st.last_seq)
        self.failing = failing


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console headless",
        description=__doc__.splitlines()[0],
        epilog=(
            "The district is the settings' (district in console.toml, --district) or, when they name"
            " none, the stored register's; a district or township no household is in, and traffic of"
            " which nothing is registered, are logged as errors and shown on the status line."
            " exit codes: 0 stopped by SIGTERM or Ctrl-C; 1 the core cannot start (message on"
            " stderr); 2 invalid settings or bad usage."
        ),
    )
    add_flags(p)
    p.add_argument("--register-json", type=Path, help="a register file (registry.dumps) to use")
    p.add_argument("--sim-households", type=int, help="use the synthetic district with N households")
    p.add_argument("--status-every", type=float, default=1.0)
    p.add_argument(
        "--json",
        action="store_true",
        help="also print each alert (a missed mark, a new alarm, a lost gateway ...) as a JSON line on stdout",
    )
    args = p.parse_args(argv)
    from console.config import ConfigError

    try:
        settings = from_args(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if settings.training:
        from console.config import TrainingError, training_settings

        try:  # as run and training do: training.sqlite, a loopback broker or a confirmed root
            settings = training_settings(settings)
        except TrainingError as exc:
            print(f"training: {exc}", file=sys.stderr)
            return 2
    from console import bootstrap
    from console.domain import registry

    bootstrap.setup_logging(logging.WARNING)

    register = None
    if args.register_json:
        register = registry.loads(args.register_json.read_bytes())
    elif args.sim_households:
        from console.sim.district import generate

        register = generate(seed=7, households=args.sim_households)
    try:
        core = bootstrap.build_core(settings, register=register)
    except Exception as exc:  # noqa: BLE001
        print(f"headless: cannot start: {exc}", file=sys.stderr)
        return 1
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    bus_watch = BusWatch(core.bus) if core.bus is not None else None
    journal_watch = JournalWatch()
    quarantine_watch = QuarantineWatch()
    core.engine.on_alerts = lambda alerts: say_alerts(alerts, args.json)
    print("headless: ready", flush=True)
    try:
        while not done.wait(args.status_every):
            st = core.engine.status()
            journal_watch.see(st)
            quarantine_watch.see(st.quarantine)
            print(json.dumps(status_line(st)), flush=True)
    finally:
        if bus_watch is not None:
            bus_watch.stop()
        core.stop()
    return 0
