"""The last resort when a console stops while its journal still fails, and the read-back at the
next start that puts those events into the journal after all.

A file holds one canonical event encoding per line, in the order the engine applied them. Its
name says which console wrote it, for which journal (a digest of the journal's URL: a training
console's held events never reach the live journal, nor one test's another's through the shared
temp dir) and when: ``unwritten-<console>-<journal>-<YYYYmmdd-HHMMSS>[-n].jsonl``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import msgspec

from console.app.ports import JournalError
from console.domain import events as ev
from console.domain.chain import Record
from console.paths import data_dir

log = logging.getLogger(__name__)

DONE_SUFFIX = ".done"  # a file read back is renamed <name>.done once its events are durable


class ReadBackJournal(Protocol):
    """What the read-back needs of the journal (console/io/store/journal.py SqlJournal)."""

    def append(self, items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> list[Record]: ...

    def keys_present(self, keys: Iterable[str], type_: str = "dev") -> set[str]: ...

    def read_time(self, from_ns: int, to_ns: int) -> Iterator[Record]: ...


def journal_tag(url: str) -> str:
    """A short digest naming the journal a file's events belong to: a SQLite journal's absolute
    path (however the URL spells it), else the database URL without its password."""
    from console.io.store.db import redact, resolve

    full, path = resolve(url)
    name = f"sqlite:{path.resolve()}" if path is not None else redact(full)
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def folders() -> list[Path]:
    """Where held events are saved, first choice first: the data dir, then the temp dir."""
    places: list[Path] = []
    try:
        places.append(data_dir())
    except OSError:
        pass
    tmp = Path(tempfile.gettempdir())
    if all(tmp.resolve() != p.resolve() for p in places):
        places.append(tmp)
    return places


def save_unwritten(events: Sequence[ev.AnyEvent], console_id: str, journal: str = "") -> Path | None:
    """The held events, one canonical encoding per line, in the first place that takes them
    (the data dir, then the temp dir); ``journal``: the ``journal_tag`` of the journal they are
    for. The file is fsynced: it is all there is of them."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"unwritten-{console_id}-{journal}-{stamp}" if journal else f"unwritten-{console_id}-{stamp}"
    data = b"".join(ev.encode(e) + b"\n" for e in events)
    for folder in folders():
        try:
            path = _write_new(folder, base, data)
        except OSError:
            continue
        log.critical("%d unjournaled events saved to %s", len(events), path)
        return path
    log.critical("%d unjournaled events could not be saved anywhere", len(events))
    return None


def _write_new(folder: Path, base: str, data: bytes) -> Path:
    """``base.jsonl`` in ``folder``, or ``base-2.jsonl`` ... if a stop in the same second left one."""
    n = 1
    while True:
        path = folder / (f"{base}.jsonl" if n == 1 else f"{base}-{n}.jsonl")
        try:
            with path.open("xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            return path
        except FileExistsError:
            n += 1


def _pattern(console_id: str, journal: str) -> re.Pattern[str]:
    return re.compile(
        rf"unwritten-{re.escape(console_id)}-{re.escape(journal)}-(\d{{8}}-\d{{6}})(?:-(\d+))?\.jsonl"
    )


def unwritten_files(console_id: str, journal: str) -> list[Path]:
    """This console's files for this journal in both places, oldest first (by the time in the
    name, then the same-second counter)."""
    mine = _pattern(console_id, journal)
    found: list[tuple[str, int, Path]] = []
    for folder in folders():
        for path in _candidates(folder, console_id):
            m = mine.fullmatch(path.name)
            if m:
                found.append((m.group(1), int(m.group(2) or 1), path))
    return [p for _, _, p in sorted(found, key=lambda t: (t[0], t[1]))]


def _candidates(folder: Path, console_id: str) -> list[Path]:
    try:
        return sorted(folder.glob(f"unwritten-{glob_escape(console_id)}-*.jsonl"))
    except OSError:
        return []


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


@dataclass
class ReadBack:
    """What a read-back did: counts for the log and the tests, the files left in place."""

    read_back: int = 0  # events appended to the journal
    duplicates: int = 0  # events the journal already held
    files_done: list[Path] = field(default_factory=list)  # read back and renamed <name>.done
    unreadable: list[Path] = field(default_factory=list)  # some lines undecodable: left in place
    bad_lines: int = 0
    failed: list[Path] = field(default_factory=list)  # the journal refused them: left in place
    foreign: list[Path] = field(default_factory=list)  # this console's, for another journal: left


def read_back(journal: ReadBackJournal, console_id: str, tag: str, now: Callable[[], int]) -> ReadBack:
    """Append the events of this console's unwritten files for this journal, oldest file first and
    each in its order, leaving out what the journal already holds. Run it at start, before the
    engine folds the journal (``Engine.recover``) and before the bus delivers anything, so the
    world applies them like any record and nothing new is written ahead of them.

    Already held: a device event by its (dev, id) key (the broker may have redelivered it and a
    later run journaled it with a new time); any other event by its canonical encoding among the
    records of the file's time span (a file read back once, and the console stopped before the
    rename). Each file's events go in one transaction with a ``SystemNote`` saying so; the file is
    renamed ``<name>.done`` only once that is durable. A file with lines that cannot be decoded
    has its other lines read back, stays where it is, and is reported (log.critical and a
    ``SystemNote``) at every start until a person deals with it."""
    result = ReadBack()
    result.foreign = _foreign(console_id, tag)
    if result.foreign:
        log.warning(
            "%d unwritten file(s) of console %s belong to another journal, left in place: %s",
            len(result.foreign),
            console_id,
            ", ".join(str(p) for p in result.foreign),
        )
    keys: set[str] = set()
    bodies: set[bytes] = set()
    for path in unwritten_files(console_id, tag):
        events, bad = _decode(path)
        try:
            fresh = _fresh(journal, events, keys, bodies)
        except JournalError as exc:
            log.critical(
                "%s: the journal cannot be read to leave out duplicates, left in place: %s", path, exc
            )
            result.failed.append(path)
            continue
        dups = len(events) - len(fresh)
        notes: list[ev.AnyEvent] = []
        if bad:
            log.critical(
                "%s: %d line(s) cannot be decoded; the file is left in place for a person to look at",
                path,
                bad,
            )
            notes.append(
                ev.SystemNote(
                    at=now(),
                    what="unwritten_unreadable",
                    detail=f"{path.name}: {bad} line(s) could not be decoded; left in place"[:300],
                )
            )
        if fresh:
            detail = f"{path.name}: {len(fresh)} read back, {dups} already journaled"
            notes.insert(0, ev.SystemNote(at=now(), what="unwritten_read_back", detail=detail[:300]))
        if fresh or notes:
            try:
                journal.append(_rows([*fresh, *notes]), console_id)
            except JournalError as exc:
                log.critical(
                    "%s: the journal refused its %d events, left in place: %s", path, len(fresh), exc
                )
                result.failed.append(path)
                continue
        for e in fresh:
            if isinstance(e, ev.DeviceEvent):
                keys.add(e.key)
            else:
                bodies.add(ev.encode(e))
        result.read_back += len(fresh)
        result.duplicates += dups
        log.warning(
            "%s: %d held event(s) read back into the journal, %d already there", path, len(fresh), dups
        )
        if bad:
            result.unreadable.append(path)
            result.bad_lines += bad
            continue
        done = path.with_name(path.name + DONE_SUFFIX)
        try:
            path.replace(done)
        except OSError as exc:  # read back again next time: every event then a duplicate
            log.error("%s read back but not renamed: %s", path, exc)
            continue
        result.files_done.append(done)
    return result


def _foreign(console_id: str, tag: str) -> list[Path]:
    mine = _pattern(console_id, tag)
    other = re.compile(
        rf"unwritten-{re.escape(console_id)}-(?:[0-9a-f]{{8}}-)?\d{{8}}-\d{{6}}(?:-\d+)?\.jsonl"
    )
    return [
        p
        for folder in folders()
        for p in _candidates(folder, console_id)
        if other.fullmatch(p.name) and not mine.fullmatch(p.name)
    ]


def _decode(path: Path) -> tuple[list[ev.AnyEvent], int]:
    """(the events of the lines that decode, in order; how many lines did not)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.critical("%s cannot be read: %s", path, exc)
        return [], 1
    events: list[ev.AnyEvent] = []
    bad = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            events.append(ev.decode(line))
        except msgspec.MsgspecError:
            bad += 1
    return events, bad


def _fresh(
    journal: ReadBackJournal, events: list[ev.AnyEvent], keys: set[str], bodies: set[bytes]
) -> list[ev.AnyEvent]:
    """``events`` less those already journaled (or taken from an earlier file of this read-back)."""
    devs = [e.key for e in events if isinstance(e, ev.DeviceEvent)]
    held_keys = keys | (journal.keys_present(devs, "dev") if devs else set())
    others = {ev.encode(e): e.at for e in events if not isinstance(e, ev.DeviceEvent)}
    held_bodies = set(bodies)
    if others:
        ats = set(others.values())
        for rec in journal.read_time(min(ats), max(ats) + 1):
            if rec.at in ats and rec.body in others:
                held_bodies.add(rec.body)
    out: list[ev.AnyEvent] = []
    for e in events:
        if isinstance(e, ev.DeviceEvent):
            if e.key in held_keys:
                continue
            held_keys.add(e.key)
        else:
            body = ev.encode(e)
            if body in held_bodies:
                continue
            held_bodies.add(body)
        out.append(e)
    return out


def _rows(events: Iterable[ev.AnyEvent]) -> list[tuple[int, str, str, str, bytes]]:
    """Journal rows as the engine makes them: (at, source, type, key, canonical body)."""
    return [(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in events]
