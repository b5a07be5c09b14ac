"""``python -m console replay JOURNAL``: replay a journal headless and report per-incident timings.

JOURNAL is a SQLite file (e.g. a copy from another workstation: it holds its register too) or a
database URL. The journal is opened read-only and nothing is published: the replay has no bus.

``--queue-at SECONDS`` shows instead the incident queue as the officer saw it SECONDS after the
journal's first record: displayed order, lane, triage score and reasons (console/domain/triage.py).
``--json`` prints the report or the queue as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import msgspec

CST: Final = timezone(timedelta(hours=8))
NS: Final = 1_000_000_000

EXIT_CODES: Final = (
    "exit codes: 0 the report (or the queue) is printed, or the replay window was closed; 1 the"
    " journal cannot be opened, or no register for it (pass --register); 2 --to not after --from,"
    " a bad --queue-at, or bad usage."
)


def parse_time(text: str) -> int:
    """ISO 8601 -> UTC ns; a time without an offset is China Standard Time (+08:00)."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=CST)
    return int(dt.timestamp()) * NS + dt.microsecond * 1000


def local(ns: int | None) -> str:
    if ns is None:
        return "—"
    return datetime.fromtimestamp(ns / NS, tz=CST).strftime("%Y-%m-%d %H:%M:%S")


def _fmt(s: float | None) -> str:
    return f"{'—':>7}" if s is None else f"{s:6.0f}s"


def report(replay: Any, from_ns: int | None, to_ns: int | None, journal: str) -> dict[str, Any]:
    from console.app.timings import kpis, timings

    w = replay.world
    return {
        "journal": journal,
        "records": replay.length,
        "replayed_to_record": replay.pos,
        "first_at": local(replay.start_ns if replay.length else None),
        "last_at": local(replay.time_at(replay.pos) if replay.pos else None),
        "from": local(from_ns) if from_ns is not None else None,
        "to": local(to_ns) if to_ns is not None else None,
        "projection_hash": w.projection_hash(),
        "problems": dict(replay.problem_counts),
        "problem_samples": [msgspec.to_builtins(p) for p in replay.problems[:20]],
        "kpis": kpis(w),
        "incidents": [msgspec.to_builtins(t) for t in timings(w, from_ns, to_ns)],
    }


def print_report(rep: dict[str, Any]) -> None:
    print(
        f"journal {rep['journal']}: {rep['records']} records, {rep['first_at']} → {rep['last_at']}; "
        f"projection {rep['projection_hash'][:16]}"
    )
    if rep["problems"]:
        print(f"PROBLEMS: {rep['problems']} (records skipped; see the report's problem_samples)")
    print(
        f"{'#':>5} {'household':<22} {'kind':<9} {'T0':<19} {'alert':>7} {'ack':>7} {'disp':>7} "
        f"{'site':>7} {'close':>7}  1′ 5′ 30′  state"
    )
    sym = {"met": "✔", "missed": "✘", "pending": "·"}
    for t in rep["incidents"]:
        marks = "  ".join(sym[m["status"]] for m in t["marks"])
        print(
            f"{t['incident']:>5} {t['household'][:22]:<22} {t['kind']:<9} {local(t['opened']):<19} "
            f"{_fmt(t['alert_out_s'])} {_fmt(t['ack_s'])} {_fmt(t['dispatch_s'])} {_fmt(t['on_site_s'])} "
            f"{_fmt(t['close_s'])}  {marks}   {t['state']}"
        )
    k = rep["kpis"]
    print(
        f"incidents {k['incidents']} (open {k['open']}), 1′ met {_pct(k['met_1_pct'])}, "
        f"5′ met {_pct(k['met_5_pct'])}, 30′ met {_pct(k['met_30_pct'])}, median ack {_s(k['median_ack_s'])}"
    )


def queue_report(replay: Any, at_s: float, journal: str) -> dict[str, Any]:
    """The queue SECONDS after the first record, in displayed order (the replay is indexed)."""
    from console.app.data import load_triage
    from console.domain.triage import queue_of, take_next
    from console.domain.triage_words import words
    from console.paths import resource

    weights = load_triage(resource("triage.toml"))
    at = replay.start_ns + int(at_s * NS)
    w = replay.seek_time(at)
    rows = queue_of(w, weights)
    nxt = take_next(rows)
    return {
        "journal": journal,
        "queue_at_s": at_s,
        "at": local(at),
        "records": replay.length,
        "replayed_to_record": replay.pos,
        "lanes": {lane: sum(1 for r in rows if r.lane == lane) for lane in ("new", "working", "rest")},
        "next": nxt.incident if nxt is not None else None,
        "queue": [
            {
                "rank": k,
                "incident": r.incident,
                "household": r.household,
                "lane": r.lane,
                "score": r.score,
                "state": r.state,
                "opened": local(r.opened),
                "reasons": list(r.reasons),
                "zh_CN": words(r.reasons, "zh_CN"),
                "en": words(r.reasons, "en"),
            }
            for k, r in enumerate(rows, start=1)
        ],
    }


def print_queue(rep: dict[str, Any], limit: int = 40) -> None:
    lanes = ", ".join(f"{k} {v}" for k, v in rep["lanes"].items())
    print(f"queue at +{rep['queue_at_s']:g} s ({rep['at']}): {lanes}")
    print(f"{'#':>4} {'lane':<8} {'score':>5} {'incident':>8} {'household':<22} reasons")
    for row in rep["queue"][:limit]:
        print(
            f"{row['rank']:>4} {row['lane']:<8} {row['score']:>5} {row['incident']:>8} "
            f"{row['household'][:22]:<22} {row['zh_CN']} / {row['en']}"
        )
    if len(rep["queue"]) > limit:
        print(f"… {len(rep['queue']) - limit} more")


def _pct(v: object) -> str:
    """A share for the summary line; "—" before anything was decided (never "None%")."""
    return "—" if v is None else f"{v}%"


def _s(v: object) -> str:
    return "—" if v is None else f"{v} s"


def main(argv: list[str]) -> int:
    from console import bootstrap
    from console.app.replay import SPEEDS

    p = argparse.ArgumentParser(prog="python -m console replay", description=__doc__, epilog=EXIT_CODES)
    p.add_argument(
        "journal",
        nargs="?",
        help="SQLite journal file or database URL, opened read-only (default: this workstation's journal)",
    )
    p.add_argument("--from", dest="from_", type=parse_time, help="report incidents opened from (ISO 8601)")
    p.add_argument("--to", type=parse_time, help="replay up to and report incidents opened before (ISO 8601)")
    p.add_argument("--speed", choices=list(SPEEDS), default="max", help="playback speed (default max)")
    p.add_argument("--report", type=Path, help="write the report as JSON here")
    p.add_argument("--register", help="register JSON, when the journal file holds none")
    p.add_argument("--quiet", action="store_true", help="no progress lines (the report is still printed)")
    p.add_argument(
        "--queue-at",
        type=float,
        metavar="SECONDS",
        help="show the incident queue as it stood SECONDS after the journal's first record",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object on the last line")
    p.add_argument("--gui", action="store_true", help="open the read-only REPLAY window instead")
    p.add_argument("--map", action="store_true", help="with --gui: show the risk map (QtWebEngine)")
    args = p.parse_args(argv)
    if args.journal is None:
        from console.config import store_url

        args.journal = store_url()
    if args.from_ is not None and args.to is not None and args.to <= args.from_:
        print("replay: --to must be after --from", file=sys.stderr)
        return 2
    if args.queue_at is not None and (args.queue_at < 0 or args.gui):
        print("replay: --queue-at takes seconds ≥ 0 and no --gui", file=sys.stderr)
        return 2
    try:
        store = bootstrap.open_replay_store(args.journal)
    except bootstrap.OpenFailed as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1
    try:
        try:
            register = bootstrap.replay_register(store, args.register)
        except bootstrap.OpenFailed as exc:
            print(f"replay: {exc}", file=sys.stderr)
            return 1
        replay = bootstrap.build_replay(store, register)
        total = store.journal.count()
        if args.gui:
            return bootstrap.run_replay_window(
                replay, register, total, args.journal, args.map, bootstrap.replay_boundaries(store)
            )

        def progress(n: int) -> None:
            if not args.quiet:
                print(f"replay: {n}/{total} records", file=sys.stderr, flush=True)

        t = time.perf_counter()
        replay.index(progress)
        if not args.quiet:
            took = time.perf_counter() - t
            print(f"replay: {replay.length} records in {took:.1f} s", file=sys.stderr, flush=True)
        if args.queue_at is not None:
            rep = queue_report(replay, args.queue_at, args.journal)
        else:
            speed = SPEEDS[args.speed]
            if speed is not None:
                play(replay, speed, args.from_, args.to, args.quiet)
            elif args.to is not None:
                replay.seek_time(args.to - 1)
            rep = report(replay, args.from_, args.to, args.journal)
    finally:
        store.close()
    if args.report:
        args.report.write_text(json.dumps(rep, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, separators=(",", ":")))
    elif args.queue_at is not None:
        print_queue(rep)
    else:
        print_report(rep)
    return 0


def play(replay: Any, speed: float, from_ns: int | None, to_ns: int | None, quiet: bool) -> None:
    """Paced playback on the wall clock, announcing each incident as it starts."""
    replay.seek_time(from_ns if from_ns is not None else replay.start_ns - 1)
    end = to_ns - 1 if to_ns is not None else replay.end_ns
    last = time.monotonic()
    while replay.pos < replay.length and replay.clock.now_ns() < end:
        time.sleep(0.05)
        now = time.monotonic()
        before = replay.pos
        replay.advance(now - last, speed)
        last = now
        if not quiet:
            for m in replay.markers:
                if before < m.pos <= replay.pos:
                    print(f"[{local(m.at)}] incident #{m.incident} {m.kind} {m.household}", flush=True)
    if to_ns is not None:
        replay.seek_time(to_ns - 1)
