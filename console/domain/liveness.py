"""Device liveness in the journal: what changed, in full; the rest as places in the register.

At a district's 100k devices ~98 % of the journal was heartbeats, each ~150 bytes in a
``Heartbeats`` record although almost every one only says "still here". A flush of held
heartbeats (console/app/beats.py) is now journaled as:
- a ``Heartbeats`` record per township with the beats that change something, in full as before:
  a device not tracked yet or offline (back online), a new heartbeat period, a battery reading
  other than the one the console has, a signal that left its band (``rssi_moved``);
- one ``Seen`` record for all the other beats: the devices' places in the register's device
  order (``Register.device_order``), sorted and delta-coded as varints, about 1.5 bytes a beat.

Folding a place is folding a beat with no fields (``World``): the same ``at``, the device's last
sign of life, its offline grace. So the split only decides size, never the world: any split of
the same beats folds to the same online states, tickets and times; what differs is only a
battery or signal value the console did not need (an unchanged battery, a signal inside its
band). ``Health.rssi`` is therefore the signal as it last moved between bands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Protocol

from console.domain import events as ev

# Signal bands (dBm), the usual NB-IoT coverage classes: excellent / good / fair / weak / poor.
RSSI_EDGES: Final = (-110, -100, -90, -80)
# A reading moves the stored signal only when it is this far past the band's edge: the jitter
# of a device sitting on an edge (±3 dB in the simulator, more outdoors) is not a change.
RSSI_HYSTERESIS_DB: Final = 5


class _Health(Protocol):
    online: bool
    hb_s: int
    bat: int | None
    rssi: int | None


def rssi_band(v: int) -> int:
    return sum(1 for e in RSSI_EDGES if v >= e)


def rssi_moved(old: int | None, new: int | None) -> bool:
    """Whether a reading ``new`` changes the stored signal ``old``: it is outside ``old``'s band by
    more than the hysteresis (or there was none)."""
    if new is None:
        return False
    if old is None:
        return True
    band = rssi_band(old)
    lo = RSSI_EDGES[band - 1] if band > 0 else None
    hi = RSSI_EDGES[band] if band < len(RSSI_EDGES) else None
    return (lo is not None and new < lo - RSSI_HYSTERESIS_DB) or (
        hi is not None and new >= hi + RSSI_HYSTERESIS_DB
    )


def changes(h: _Health | None, b: ev.Beat) -> bool:
    """Whether beat ``b`` changes more than the time the device was last heard."""
    if h is None or not h.online:
        return True
    if b.hb and b.hb != h.hb_s:
        return True
    if b.bat is not None and b.bat != h.bat:
        return True
    return rssi_moved(h.rssi, b.rssi)


def urgent(h: _Health | None, b: ev.Beat) -> bool:
    """Whether beat ``b`` should be journaled now rather than at the end of the window: it brings
    a device back online (its ticket closes, the map turns). A new period need not hurry: held
    beats are journaled before any device is called offline (the engine's timers), and a
    device's first beats (a new register, a first start: every device at once) would otherwise
    make a record of every batch."""
    return h is not None and not h.online


# --- places ------------------------------------------------------------------------------------


def encode_places(places: Iterable[int]) -> bytes:
    """Sorted distinct places as unsigned LEB128 varints: the first as it is, then the gaps."""
    out = bytearray()
    prev = -1
    for p in sorted(set(places)):
        if p < 0:
            raise ValueError(f"negative place {p}")
        gap = p - prev - 1  # >= 0: distinct and sorted
        prev = p
        while gap >= 0x80:
            out.append((gap & 0x7F) | 0x80)
            gap >>= 7
        out.append(gap)
    return bytes(out)


def decode_places(data: bytes, size: int) -> list[int]:
    """The places of ``encode_places``; ValueError when truncated or past ``size``."""
    out: list[int] = []
    prev = -1
    gap = shift = 0
    for byte in data:
        gap |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")
            continue
        prev += gap + 1
        out.append(prev)
        gap = shift = 0
    if shift:
        raise ValueError("truncated varint")
    if out and out[-1] >= size:
        raise ValueError(f"place {out[-1]} past the register's {size} devices")
    return out


# --- a flush -----------------------------------------------------------------------------------


def compact(
    beats: Mapping[str, Sequence[ev.Beat]],
    at: int,
    health: Mapping[str, _Health],
    place: Mapping[str, int],
    register_digest: str,
) -> list[ev.AnyEvent]:
    """The records one flush of held heartbeats is journaled as (see the module doc): the beats
    that change something per township in full, then one ``Seen`` with the places of the rest.
    ``health`` is the World's device health, ``place`` the register's device places."""
    exact: set[str] = set()  # devices with a beat that changes something: all their beats in full
    counts: dict[str, int] = {}  # registered device -> beats
    unknown = 0
    for township in sorted(beats):
        for b in beats[township]:
            dev = b.dev
            if dev not in place:
                unknown += 1
                continue
            counts[dev] = counts.get(dev, 0) + 1
            if dev not in exact and changes(health.get(dev), b):
                exact.add(dev)
    full: dict[str, list[ev.Beat]] = {}
    if exact:
        for township in sorted(beats):
            bl = [b for b in beats[township] if b.dev in exact]
            if bl:
                full[township] = bl
    plain = {d: n for d, n in counts.items() if d not in exact}
    out: list[ev.AnyEvent] = [
        ev.Heartbeats(at=at, township=t, beats=tuple(bl)) for t, bl in sorted(full.items())
    ]
    if plain or unknown:
        out.append(
            ev.Seen(
                at=at,
                reg=register_digest,
                places=encode_places(place[d] for d in plain),
                beats=sum(plain.values()),
                unknown=unknown,
            )
        )
    return out
