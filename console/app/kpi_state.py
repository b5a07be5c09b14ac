"""A ``KpiFold`` as bytes and back, so KPIs fold only the journal's tail after a checkpoint.

The state holds everything the fold holds (its World through ``world_snapshot``, the alarms, the
device history, the deferred heartbeats) except what the register gives back: device kinds and
offline graces are recomputed from the register and the saved heartbeat periods. Deferred beats
are saved as they are rather than flushed first, so a restored fold is the very fold that was
saved, whatever moment it was taken at.

A state is only ever loaded into a fold for the same register (``register_key``) by the same
state layout (``state_version``: ``FOLD_VERSION``, bumped by hand when the fold's meaning changes,
plus a digest of every struct the bytes are made of, so a field added to World, Incident or
Ticket retires old states by itself). Anything else raises ``FoldStateError``: never trusted.
"""

from __future__ import annotations

import hashlib
import zlib
from functools import cache
from typing import Final

import msgspec

from console.app import world_snapshot
from console.app.kpi import KpiFold
from console.app.world_snapshot import register_key
from console.domain.checklist import Template
from console.domain.incident import Incident
from console.domain.registry import Register
from console.domain.risk import Weights
from console.domain.world import Registers

FOLD_VERSION: Final = 1
MAGIC: Final = b"KPI1"
ZLEVEL: Final = 1  # a 1M-record month: 7.1 MB -> 2.7 MB in 0.05 s; level 6 saves 7% for 3x the time

# KpiFold attributes, by how the state treats them; anything else makes dump_fold refuse.
_SAVED: Final = frozenset(
    {
        "records",
        "last_at",
        "alarms",
        "decode_errors",
        "first",
        "last",
        "gaps",
        "_started",
        "_hb",
        "_pending",
        "_pending_at",
        "_offline",
        "world",
    }
)
_FROM_REGISTER: Final = frozenset({"register", "_kind", "_grace"})


class FoldStateError(ValueError):
    """A state that must not be loaded (other version or register, damaged) or cannot be made."""


class FoldState(msgspec.Struct, array_like=True):
    version: str
    register: str
    records: int
    last_at: int
    alarms: list[tuple[int, str, str]]
    decode_errors: int
    first: dict[str, int]
    last: dict[str, int]
    gaps: list[tuple[str, int, int]]
    started: bool
    hb: dict[str, int]
    pending: dict[str, list[int | None]]
    pending_at: int
    offline: list[str]
    core: bytes  # world_snapshot.snapshot(world)
    incidents: dict[int, bytes]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(FoldState)


@cache
def state_version() -> str:
    """FOLD_VERSION plus a digest of the layout of every struct a state is made of."""
    info = msgspec.inspect.multi_type_info([FoldState, world_snapshot.WorldState, Incident])
    digest = hashlib.sha256(repr(info).encode()).hexdigest()[:12]
    return f"{FOLD_VERSION}.{digest}"


def unknown_fields(fold: KpiFold) -> list[str]:
    """Fold and World attributes a state would not carry (a state is refused while any exist)."""
    out = [k for k in vars(fold) if k not in _SAVED | _FROM_REGISTER]
    out += [f"world.{k}" for k in world_snapshot.unknown_fields(fold.world)]
    return sorted(out)


def dump_fold(fold: KpiFold) -> bytes:
    """The fold as bytes (msgpack, zlib'd). Does not change what the fold computes (the World's
    offline heap may be compacted, which its readers do not notice)."""
    missing = unknown_fields(fold)
    if missing:
        raise FoldStateError(f"the fold state does not cover {', '.join(missing)}")
    core, incidents = world_snapshot.snapshot(fold.world)
    state = FoldState(
        version=state_version(),
        register=register_key(fold.world.initial_register),
        records=fold.records,
        last_at=fold.last_at,
        alarms=fold.alarms,
        decode_errors=fold.decode_errors,
        first=fold.first,
        last=fold.last,
        gaps=fold.gaps,
        started=fold._started,
        hb=fold._hb,
        pending=fold._pending,
        pending_at=fold._pending_at,
        offline=sorted(fold._offline),
        core=core,
        incidents=incidents,
    )
    return MAGIC + zlib.compress(_encoder.encode(state), ZLEVEL)


def load_fold(
    blob: bytes,
    register: Register,
    templates: dict[str, Template],
    weights: Weights,
    registers: Registers | None = None,
) -> KpiFold:
    """A fold rebuilt from ``dump_fold`` bytes for ``register``; FoldStateError if it may not be."""
    if blob[: len(MAGIC)] != MAGIC:
        raise FoldStateError("not a KPI fold state")
    try:
        s = _decoder.decode(zlib.decompress(blob[len(MAGIC) :]))
    except (zlib.error, msgspec.DecodeError) as exc:
        raise FoldStateError(f"unreadable fold state: {exc}") from exc
    if s.version != state_version():
        raise FoldStateError(f"fold state version {s.version}, this build reads {state_version()}")
    key = register_key(register)
    if s.register != key:
        raise FoldStateError(f"fold state made for register {s.register}, not {key}")
    fold = KpiFold(register, templates, weights, registers=registers)
    try:
        world_snapshot.restore(fold.world, s.core, s.incidents)
    except (zlib.error, msgspec.DecodeError) as exc:
        raise FoldStateError(f"unreadable world snapshot: {exc}") from exc
    except LookupError as exc:  # the register in force then is not in the store
        raise FoldStateError(str(exc)) from exc
    fold.follow_register()  # the register the state names: its devices (their history is in it)
    fold.records = s.records
    fold.last_at = s.last_at
    fold.alarms = s.alarms
    fold.decode_errors = s.decode_errors
    fold.first = s.first
    fold.last = s.last
    fold.gaps = s.gaps
    fold._started = s.started
    for dev, hb in s.hb.items():
        fold._set_hb(dev, hb)  # the period and the offline grace it implies
    fold._pending = s.pending
    fold._pending_at = s.pending_at
    fold._offline = set(s.offline)
    return fold
