"""Engine checkpoints: a console starts from its newest checkpoint plus the journal's tail, not
from the whole journal.

Heartbeats are most of a journal (at a district's 100k devices, ~2M records a day even coalesced
per township per second); rebuilding the world from all of it took 14 s per million records, so a
console restarted after a month would keep the officer waiting for many minutes. The engine saves
its state (the World through ``world_snapshot`` plus what the engine itself keeps: the device
event keys it has seen, the incidents its own records opened, the last seq and time) every
``every`` records when idle and when it stops; ``recover`` restores the newest one this build and
this register can read and the journal confirms (the port checks (seq, hash)), then folds only the
records after it. A checkpoint that fails any check is skipped (logged), the next older one is
tried, and with none the whole journal is folded as before: a checkpoint can make a start faster,
never different (tests compare both ways).

Saving stops for the rest of the process once the journal has failed: events held in memory were
applied before they were written, in an order the journal may not repeat (another workstation's
records can land in between), so the world then is not "the fold of records 1..seq".
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zlib
from functools import cache
from typing import Final, NamedTuple

import msgspec

from console.app import world_snapshot
from console.app.ports import CheckpointStore
from console.app.world_snapshot import register_key
from console.domain.incident import Incident
from console.domain.world import World

log = logging.getLogger(__name__)
ENGINE_STATE_VERSION: Final = 1
MAGIC: Final = b"ENG1"
EVERY: Final = 50_000  # records between periodic checkpoints (~17 h of a 100k-device district with
# heartbeats as places, docs/store.md: a start after a crash folds at most these, ~0.6 s)
MIN_INTERVAL_S: Final = 600.0  # and never more often than this


class StateError(ValueError):
    """A state that must not be loaded (other build or register, damaged) or cannot be made."""


class EngineState(msgspec.Struct, array_like=True):
    version: str
    register: str
    last_seq: int
    last_at: int
    seen: list[str]
    own_opened: list[int]
    core: bytes  # world_snapshot.snapshot(world)
    incidents: dict[int, bytes]


class Restored(NamedTuple):
    last_seq: int
    last_at: int
    seen: set[str]
    own_opened: set[int]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(EngineState)


@cache
def state_version() -> str:
    """ENGINE_STATE_VERSION plus a digest of the layout of every struct a state is made of."""
    info = msgspec.inspect.multi_type_info([EngineState, world_snapshot.WorldState, Incident])
    return f"{ENGINE_STATE_VERSION}.{hashlib.sha256(repr(info).encode()).hexdigest()[:12]}"


def dump(world: World, *, last_seq: int, last_at: int, seen: set[str], own_opened: set[int]) -> bytes:
    missing = world_snapshot.unknown_fields(world)
    if missing:
        raise StateError(f"the engine state does not cover {', '.join(missing)}")
    core, incidents = world_snapshot.snapshot(world)
    state = EngineState(
        version=state_version(),
        register=register_key(world.initial_register),
        last_seq=last_seq,
        last_at=last_at,
        seen=sorted(seen),
        own_opened=sorted(own_opened),
        core=core,
        incidents=incidents,
    )
    return MAGIC + zlib.compress(_encoder.encode(state), 1)


def load(blob: bytes, world: World, seq: int | None = None) -> Restored:
    """Restore ``world`` (in place: every field replaced) from ``dump`` bytes, which must hold the
    state after record ``seq`` if given; StateError if the bytes may not be used, in which case
    ``world`` is untouched."""
    if blob[: len(MAGIC)] != MAGIC:
        raise StateError("not an engine state")
    try:
        s = _decoder.decode(zlib.decompress(blob[len(MAGIC) :]))
    except (zlib.error, msgspec.DecodeError) as exc:
        raise StateError(f"unreadable engine state: {exc}") from exc
    if s.version != state_version():
        raise StateError(f"engine state version {s.version}, this build reads {state_version()}")
    key = register_key(world.initial_register)
    if s.register != key:
        raise StateError(f"engine state made for register {s.register}, not {key}")
    if seq is not None and s.last_seq != seq:
        raise StateError(f"it holds the state after seq {s.last_seq}, not {seq}")
    scratch = world.empty_like()  # the same register, templates, weights, storm rules and triage score
    try:
        world_snapshot.restore(scratch, s.core, s.incidents)
    except (zlib.error, msgspec.DecodeError) as exc:
        raise StateError(f"unreadable world snapshot: {exc}") from exc
    except LookupError as exc:  # the register in force then is not in the store
        raise StateError(str(exc)) from exc
    vars(world).update(vars(scratch))
    return Restored(s.last_seq, s.last_at, set(s.seen), set(s.own_opened))


class Checkpointer:
    """The engine's side: restore at start; save when idle every ``every`` records (the blob is
    made on the engine thread, the write happens on a thread of its own) and when stopping."""

    def __init__(
        self, port: CheckpointStore, every: int = EVERY, min_interval_s: float = MIN_INTERVAL_S
    ) -> None:
        self.port = port
        self.every = every
        self.min_interval_s = min_interval_s
        self.saved_seq = 0
        self.restored_seq: int | None = None  # the checkpoint recover started from, if any
        self.saves = 0
        self.failures = 0
        self.off = ""  # why saving stopped for this process ("" while it may save)
        self._last_save = time.monotonic()
        self._writer: threading.Thread | None = None

    def restore(self, world: World) -> Restored | None:
        key = register_key(world.initial_register)
        try:
            for seq, blob in self.port.candidates(state_version(), key):
                try:
                    r = load(blob, world, seq)
                except StateError as exc:
                    log.warning("ignoring engine checkpoint at seq %d: %s", seq, exc)
                    continue
                self.restored_seq = self.saved_seq = seq
                return r
        except Exception:  # noqa: BLE001 - a start must never fail for want of a checkpoint
            log.exception("engine checkpoints could not be read; folding the whole journal")
        return None

    def due(self, last_seq: int) -> bool:
        return (
            not self.off
            and last_seq - self.saved_seq >= self.every
            and time.monotonic() - self._last_save >= self.min_interval_s
            and (self._writer is None or not self._writer.is_alive())
        )

    def save(
        self, world: World, *, last_seq: int, last_at: int, seen: set[str], own_opened: set[int], wait: bool
    ) -> bool:
        """Make the blob now (on the caller's thread: the engine's); write it on a thread of its
        own, or before returning with ``wait``. False when nothing was started."""
        if self.off or last_seq <= self.saved_seq:
            return False
        try:
            blob = dump(world, last_seq=last_seq, last_at=last_at, seen=seen, own_opened=own_opened)
        except StateError as exc:
            self.turn_off(str(exc))
            return False
        self.saved_seq = last_seq
        self._last_save = time.monotonic()
        version, key = state_version(), register_key(world.initial_register)

        def write() -> None:
            try:
                self.port.save(last_seq, last_at, version, key, blob)
                self.saves += 1
            except Exception as exc:  # noqa: BLE001 - a checkpoint is a convenience: log, go on
                self.failures += 1
                log.warning("could not save an engine checkpoint at seq %d: %s", last_seq, exc)

        if self._writer is not None:
            self._writer.join()
        if wait:
            write()
        else:
            self._writer = threading.Thread(target=write, name="engine-checkpoint", daemon=True)
            self._writer.start()
        return True

    def turn_off(self, why: str) -> None:
        if not self.off:
            log.warning("engine checkpoints off for this run: %s", why)
            self.off = why

    def join(self) -> None:
        if self._writer is not None:
            self._writer.join()
