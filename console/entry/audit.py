"""``python -m console audit verify|export|tail|archive`` — the journal for auditors.

Exit codes: 0 fine, 1 the chain is broken, 2 usage or store error (message on stderr).
Reading commands open the store read-only and never migrate or write it.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

import msgspec

from console.bootstrap import open_store
from console.config import store_url
from console.domain import events
from console.domain.chain import Record
from console.io.store.archive import ArchiveRefused, archive, file_sha256, month_start_ns, verify_archive_file
from console.io.store.db import redact
from console.io.store.errors import JournalError
from console.io.store.store import SqlStore
from console.io.store.verify import Witness, verify_engine

REASONS: Final = {
    "gap": "a record is missing (sequence gap)",
    "reordered": "records are out of order",
    "bad_prev": "the record does not chain onto the one before it (edited, removed or moved)",
    "bad_hash": "the record's contents do not match its hash (edited)",
    "bad_row": "the record has values of the wrong type (edited outside the console)",
    "bad_archive_mark": "archive marks do not chain onto each other",
    "anchor_mismatch": "a signed anchor disagrees with the journal (rewritten history)",
    "checkpoint_mismatch": "a saved checkpoint disagrees with the journal (rewritten history)",
    "truncated": "records an anchor or saved checkpoint has seen are missing (the end was cut off)",
    "archive_incomplete": "the archive file does not end where its header says",
}
PROGRESS_EVERY_S: Final = 1.0
EXIT_CODES: Final = (
    "exit codes: 0 fine (verify: the chain and its anchors hold; export, tail, archive: done, or"
    " nothing to archive); 1 verify: the chain is broken or an anchor cannot be trusted; 2 bad usage,"
    " a refused archive, or a store that cannot be opened or read (message on stderr)."
)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="milliseconds")


def parse_when(text: str) -> int:
    """ISO 8601 -> UTC ns. A time without an offset is taken as this machine's local time."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from exc
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def body_json(body: bytes) -> Any:
    """The event as plain JSON data; undecodable bodies come back as base64 so nothing is lost."""
    try:
        return msgspec.to_builtins(events.decode(body))
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        return {"_undecodable_base64": base64.b64encode(body).decode("ascii")}


def _open(url: str | None, readonly: bool = True) -> SqlStore:
    store: SqlStore = open_store(store_url(url), readonly=readonly)
    return store


# --- verify ------------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    store = _open(args.db)
    try:
        last = [time.monotonic()]

        def progress(n: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                print(f"  verified {n:,} records ...", file=sys.stderr)

        witnesses, anchor_problems = _anchors(store, args)
        verified, verified_problems = _verified(store, args)
        anchor_problems += verified_problems
        result = verify_engine(
            store.engine,
            progress,
            witnesses + verified,
            from_anchor=args.from_anchor,
            resume_from=verified if args.resume else (),
        )
        for note in result.notes:
            print(f"  {note}", file=sys.stderr)
        if args.archives:
            _check_archive_files(store, result)
        if result.broken is None and not anchor_problems and not args.from_anchor and result.head_seq:
            _record_verified(store, args, result.head_seq, result.head_hash)
    finally:
        store.close()
    rate = f"{result.records:,} records in {result.seconds:.2f} s ({result.rate:,.0f} records/s)"
    problems = anchor_problems + result.problems
    for p in problems:
        print(p)
    if result.broken is None and not anchor_problems:
        print(f"OK {result.records} records, head {result.head_hash}")
        print(rate)
        return 0
    if result.broken is not None:
        b = result.broken
        print(f"BROKEN at seq {b.seq}: {b.reason} - {REASONS.get(b.reason, b.reason)}")
    else:
        print(f"ANCHORS: {len(anchor_problems)} anchor(s) cannot be trusted (see above)")
    print(rate)
    return 1


def _anchors(store: SqlStore, args: argparse.Namespace) -> tuple[list[Witness], list[str]]:
    """The anchors file's lines as witnesses, those signed by our key; the others, in words."""
    from console.io.anchors import anchors_path, authentic, iso, key_path, load_key, read_anchors

    path = Path(args.anchors) if args.anchors else anchors_path(store)
    key = load_key(Path(args.key) if args.key else key_path(), create=False)
    found = read_anchors(path)
    for note in found.notes:
        print(f"  {note}", file=sys.stderr)
    if not found.anchors and not found.problems:
        print(
            f"  no anchors at {path}: only the database's own checkpoints witness its head", file=sys.stderr
        )
    problems = list(found.problems)
    witnesses = []
    for a in found.anchors:
        wrong = authentic(a, key)
        if wrong is not None:
            problems.append(wrong)
            continue
        witnesses.append(Witness(a.seq, a.hash, f"anchor line {a.line} by {a.console}", a.at_ns, signed=True))
    if getattr(args, "broker_host", None):
        witnesses += _bus_anchors(store, args, key, problems)
    if witnesses:
        top = max(witnesses)
        print(
            f"  {len(witnesses)} signed anchors in {path}, the newest at seq {top.seq} ({iso(top.at_ns)})",
            file=sys.stderr,
        )
    return witnesses, problems


def _verified(store: SqlStore, args: argparse.Namespace) -> tuple[list[Witness], list[str]]:
    """The heads earlier passing verifies reached (``<journal>.verified.jsonl``), those signed
    by our key: witnesses like anchors, and where ``--resume`` starts."""
    from console.io.anchors import authentic, key_path, load_key, read_anchors, verified_path

    path = verified_path(store)
    key = load_key(Path(args.key) if args.key else key_path(), create=False)
    found = read_anchors(path)
    problems = [p.replace("anchors line", "verified-heads line") for p in found.problems]
    out = []
    for a in found.anchors:
        wrong = authentic(a, key)
        if wrong is not None:
            problems.append(wrong.replace("anchors line", "verified-heads line"))
            continue
        out.append(Witness(a.seq, a.hash, f"the verify of {a.console} (line {a.line})", a.at_ns, signed=True))
    if args.resume and not out:
        print(f"  no earlier verify recorded in {path}: the whole chain is walked", file=sys.stderr)
    return out, problems


def _record_verified(store: SqlStore, args: argparse.Namespace, seq: int, hash_: str) -> None:
    """Sign and keep the head this passing verify reached, for the next ``--resume``. Without
    the anchor key (no console has run here) nothing is recorded, and that is said."""
    from console.io.anchors import encode, key_path, load_key, verified_path

    key = load_key(Path(args.key) if args.key else key_path(), create=False)
    path = verified_path(store)
    if key is None:
        print("  no anchor key here: the head reached is not recorded for --resume", file=sys.stderr)
        return
    try:
        with path.open("ab") as f:
            f.write(encode(key, seq, hash_, time.time_ns(), "audit"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        print(f"  the head reached could not be recorded in {path}: {exc}", file=sys.stderr)
        return
    print(
        f"  head seq {seq} recorded in {path}: the next --resume walks only what comes after it",
        file=sys.stderr,
    )


def _bus_anchors(
    store: SqlStore, args: argparse.Namespace, key: bytes | None, problems: list[str]
) -> list[Witness]:
    """The retained copies on the bus of the anchors of the consoles that wrote this journal.
    One signed by a key we do not hold (another workstation's) is a note: it can neither fail
    nor pass the journal; one we hold the key of and that does not verify is a problem."""
    from sqlalchemy import text

    from console.io.anchors import authentic, from_bus, key_id

    try:
        found = from_bus(
            args.broker_host, args.broker_port, args.district, args.broker_username, args.broker_password
        )
    except OSError as exc:
        problems.append(f"anchors on the bus: cannot read them ({exc})")
        return []
    with store.engine.connect() as conn:
        writers = {c for (c,) in conn.execute(text("SELECT DISTINCT console FROM journal"))}
    out = []
    for a in found:
        if a.console not in writers:
            continue  # another console's journal
        if key is None or a.key != key_id(key):
            print(
                f"  anchor of {a.console} on the bus: signed by key {a.key}, not ours (not checked)",
                file=sys.stderr,
            )
            continue
        wrong = authentic(a, key)
        if wrong is not None:
            problems.append(f"anchor of {a.console} on the bus (seq {a.seq}): {wrong.split(': ', 1)[-1]}")
            continue
        out.append(Witness(a.seq, a.hash, f"the bus's anchor of {a.console}", a.at_ns, signed=True))
    print(f"  {len(out)} signed anchor(s) on the bus for this journal", file=sys.stderr)
    return out


def _check_archive_files(store: SqlStore, result: Any) -> None:
    from sqlalchemy import select

    from console.io.store import schema

    m = schema.archive_marks
    with store.engine.connect() as conn:
        marks = conn.execute(select(m.c.first_seq, m.c.last_seq, m.c.file_name, m.c.file_sha256)).all()
    for first, last, name, sha in marks:
        path = Path(name)
        if not path.exists():
            print(f"  archive seq {first}..{last}: {name} not found (not checked)", file=sys.stderr)
            continue
        if file_sha256(path) != sha:
            print(f"  archive seq {first}..{last}: {name} sha256 differs from the mark", file=sys.stderr)
            if result.broken is None:
                from console.domain.chain import Break

                result.broken = Break(first, "bad_archive_mark")
            continue
        check = verify_archive_file(path)
        status = "ok" if check.ok else f"BROKEN at seq {check.broken.seq if check.broken else '?'}"
        print(f"  archive seq {first}..{last}: {name} {status}", file=sys.stderr)


# --- export ------------------------------------------------------------------------------------


def _rows(store: SqlStore, from_ns: int, to_ns: int) -> Iterator[dict[str, Any]]:
    for r in store.journal.read_time(from_ns, to_ns):
        yield {
            "seq": r.seq,
            "at": _iso(r.at),
            "at_ns": r.at,
            "source": r.source,
            "type": r.type,
            "key": r.key,
            "console": r.console,
            "body": body_json(r.body),
            "prev": r.prev,
            "hash": r.hash,
        }


def _time_span(store: SqlStore) -> tuple[int, int] | None:
    """(earliest, latest) ``at_ns`` of the journal's records, None when it has none. By time,
    not by seq: records of consoles sharing a store need not be in time order."""
    from sqlalchemy import func, select

    from console.io.store import schema
    from console.io.store.errors import classify
    from console.io.store.journal import STORE_FAILURES

    j = schema.journal
    try:
        with store.engine.connect() as conn:
            lo, hi = conn.execute(select(func.min(j.c.at_ns), func.max(j.c.at_ns))).one()
    except STORE_FAILURES as exc:
        raise classify(exc) from exc
    return None if lo is None else (int(lo), int(hi))


def cmd_export(args: argparse.Namespace) -> int:
    """An omitted --from is the first record's time, an omitted --to just after the last one's:
    with neither, the whole journal."""
    from_ns = None if args.from_ is None else parse_when(args.from_)
    to_ns = None if args.to is None else parse_when(args.to)
    if from_ns is not None and to_ns is not None and to_ns <= from_ns:
        print("export: --to must be after --from", file=sys.stderr)
        return 2
    store = _open(args.db)
    try:
        if from_ns is None or to_ns is None:
            span = _time_span(store)
            first, after_last = (span[0], span[1] + 1) if span is not None else (0, 0)
            from_ns = first if from_ns is None else from_ns
            to_ns = after_last if to_ns is None else to_ns
        total = store.journal.count_time(from_ns, to_ns) if to_ns > from_ns else 0
        out_path = Path(args.out)
        # utf-8-sig for CSV: Excel on Windows needs the BOM to read Chinese text correctly.
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        with out_path.open("w", encoding=encoding, newline="") as f:
            n = _write(f, args.format, _rows(store, from_ns, to_ns), total)
    finally:
        store.close()
    shown = f"{_iso(from_ns)} .. {_iso(to_ns)}" if to_ns > from_ns else "an empty range"
    print(f"exported {n} records ({shown}) to {args.out}", file=sys.stderr)
    return 0


def _write(f: TextIO, fmt: str, rows: Iterator[dict[str, Any]], total: int) -> int:
    n = 0
    step = max(1000, total // 20)
    writer = None
    for row in rows:
        if fmt == "jsonl":
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(
                {**row, "body": json.dumps(row["body"], ensure_ascii=False, separators=(",", ":"))}
            )
        n += 1
        if total >= 10_000 and n % step == 0:
            print(f"  exported {n:,}/{total:,} ({100 * n // total}%)", file=sys.stderr)
    if fmt == "csv" and writer is None:
        csv.writer(f).writerow(
            ["seq", "at", "at_ns", "source", "type", "key", "console", "body", "prev", "hash"]
        )
    return n


# --- tail --------------------------------------------------------------------------------------


def _line(r: Record) -> str:
    body = json.dumps(body_json(r.body), ensure_ascii=False, separators=(",", ":"))
    if len(body) > 160:
        body = body[:157] + "..."
    return f"{r.seq:>8}  {_iso(r.at)}  {r.source:<8} {r.type:<8} {r.key:<28} {r.console:<10} {body}"


def cmd_tail(args: argparse.Namespace) -> int:
    store = _open(args.db)
    try:
        last = store.journal.last()
        head = last.seq if last else 0
        for r in store.journal.read(max(1, head - args.n + 1)):
            print(_line(r), flush=True)
            head = r.seq
        while args.follow:
            time.sleep(args.interval)  # production polling; the journal has no change feed
            for r in store.journal.read(head + 1):
                print(_line(r), flush=True)
                head = r.seq
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()
    return 0


# --- archive -----------------------------------------------------------------------------------


def cmd_archive(args: argparse.Namespace) -> int:
    before_ns = month_start_ns(args.before)
    store = _open(args.db, readonly=False)
    try:
        last = [time.monotonic()]

        def progress(n: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or n == total:
                last[0] = now
                print(f"  copied {n:,}/{total:,} records", file=sys.stderr)

        result = archive(
            store.engine,
            before_ns,
            Path(args.out),
            force_younger=args.force_younger,
            source_name=redact(store.url),
            progress=progress,
        )
    except ArchiveRefused as exc:
        print(f"archive: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if result is None:
        print(f"archive: nothing before {args.before} to archive")
        return 0
    print(
        f"archived seq {result.first_seq}..{result.last_seq} ({result.rows} records) to {result.file}"
        f" sha256 {result.sha256}; live chain continues from {result.last_hash}"
    )
    return 0


# --- entry -------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", help="database URL or SQLite path (default: the settings' db_url, else the per-user journal)"
    )
    p = argparse.ArgumentParser(
        prog="python -m console audit", description=__doc__.splitlines()[0], epilog=EXIT_CODES
    )
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", parents=[common], help="verify the hash chain", epilog=EXIT_CODES)
    v.add_argument("--archives", action="store_true", help="also check archive files named in the marks")
    v.add_argument("--anchors", help="signed anchors file (default: <journal>.anchors.jsonl)")
    v.add_argument("--key", help="anchor key file (default: anchor.key in the data dir)")
    v.add_argument(
        "--from-anchor",
        action="store_true",
        help="walk the chain only after the newest matching signed anchor",
    )
    v.add_argument(
        "--resume",
        action="store_true",
        help="walk the chain only after the head the last passing verify reached (a daily check costs a day)",
    )
    v.add_argument("--broker-host", help="also check the anchors the broker keeps (retained) for --district")
    v.add_argument("--broker-port", type=int, default=1883)
    v.add_argument("--broker-username")
    v.add_argument("--broker-password")
    v.add_argument("--district", default="SIM", help="the district whose consoles' anchors to fetch")
    v.set_defaults(func=cmd_verify)
    e = sub.add_parser(
        "export",
        parents=[common],
        help="export a time range as CSV or JSON lines (default: the whole journal)",
        description="Export the records accepted in [--from, --to) as CSV or JSON lines. Without"
        " --from the range starts at the first record, without --to it ends with the last one:"
        " with neither, the whole journal is exported.",
        epilog=EXIT_CODES,
    )
    e.add_argument(
        "--from",
        dest="from_",
        metavar="TIME",
        help="ISO time, inclusive (local if no offset); omitted: from the first record",
    )
    e.add_argument(
        "--to",
        metavar="TIME",
        help="ISO time, exclusive (local if no offset); omitted: to the last record, included",
    )
    e.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    e.add_argument("--out", required=True)
    e.set_defaults(func=cmd_export)
    t = sub.add_parser("tail", parents=[common], help="show the last records", epilog=EXIT_CODES)
    t.add_argument("-n", type=int, default=20)
    t.add_argument("--follow", "-f", action="store_true")
    t.add_argument("--interval", type=float, default=1.0, help="poll interval in seconds for --follow")
    t.set_defaults(func=cmd_tail)
    a = sub.add_parser(
        "archive", parents=[common], help="move months before YYYY-MM to an archive file", epilog=EXIT_CODES
    )
    a.add_argument("--before", required=True, help="YYYY-MM: archive records before this month")
    a.add_argument("--out", required=True, help="new SQLite file for the archived records")
    a.add_argument(
        "--force-younger", action="store_true", help="allow archiving records younger than 365 days"
    )
    a.set_defaults(func=cmd_archive)
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except JournalError as exc:
        print(f"audit {args.command}: journal error ({exc.kind}): {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"audit {args.command}: {exc}", file=sys.stderr)
        return 2
