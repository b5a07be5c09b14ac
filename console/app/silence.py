"""Silent townships: device traffic far below what the register's devices should send.

A device that stops is an offline ticket (console.domain.supervision); a township whose
gateway, operator network or bridge fails goes quiet as a whole, and the console would show a
calm map while it hears nothing from there. So the engine counts every device message it
receives (heartbeats and alarms, after decoding) per township and compares the last window with
what the register's devices should send.

The rule, with the defaults and why:

- Expected: each device sends one heartbeat per period, so a township of devices with periods
  p_i expects ``sum(window_s / p_i)`` messages in a window; N devices of period 3600 s give
  ``N * 600 / 3600`` in 10 minutes. The register does not hold periods, so a device's period is
  its kind's default (``DEFAULT_HB_S``, the one the offline check uses) until the device
  announces its own (``hb`` in its heartbeats: ``announce``). Alarms only add to what is seen.
- Silent: fewer than ``ratio`` (20 %) of the expected messages in the last ``window_s``
  (600 s, counted in 10 s buckets; the window reaches back to the start of its first bucket). A tenth of a township's devices going offline is a ticket
  each; four fifths of them at once is a failure upstream of the devices. 10 minutes is long
  enough to hold many heartbeats (electric sensors every 5-15 min) and short next to the
  30 minutes of the 1-5-30 rule.
- Cleared when the window holds ``recover_ratio`` (30 %) again: a township hovering at the
  threshold does not make the banner flap.
- Judged only when at least ``min_expected`` (20) messages are expected: heartbeats arrive at
  random phases, so a small count is noisy. At 20 expected, 3 or fewer arrive by chance with
  probability ~3e-6 per window (Poisson); at 10 expected, 1 or fewer with ~5e-4, which over a
  day's 144 windows and 20 townships would be a false banner most days.
- The whole district (``"*"``) is judged the same way on the sum of its townships; it is
  reported first, followed by the townships that are silent themselves.
- Warm-up: nothing is reported before the console has listened for one full window (from
  ``start``, the first ``observe`` or the first connected ``report``), and the bus being down is
  never a silent township (the bus banner says so): ``report`` gives nothing while it is down
  and the window starts again when it is back, so the minutes the console could not hear are
  not held against anyone.
- ``since``: the report time at which the area was first found below the ratio in this stretch;
  for an area already below when first judged (just after warm-up), the start of that window.

Pure: no clock reads, no I/O; times are console ns passed in. ``observe`` is O(1); ``report``
is O(townships x buckets per window).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from console.domain.deadlines import DEFAULT_HB_S, NS
from console.domain.registry import Register

DISTRICT: Final = "*"
WINDOW_S: Final = 600
BUCKET_S: Final = 10
RATIO: Final = 0.2
RECOVER_RATIO: Final = 0.3
MIN_EXPECTED: Final = 20
FALLBACK_HB_S: Final = 3600  # a kind with no default period


class SilentArea(msgspec.Struct, frozen=True, kw_only=True):
    """One silent area as the status carries it."""

    area: str  # township code, or "*" for the whole district
    name: str  # the register's name for it (the code when it has none)
    expected: int  # messages expected in the window
    seen: int  # messages received in the window
    since: int  # console ns: first found below the ratio in this stretch (or that window's start)
    window_s: int


class Silence:
    """Message counts per township in a ring of buckets, judged against the register's rate.

    ``township``: the one township a township console hears (None: a district console, which
    also judges the whole district)."""

    def __init__(
        self,
        register: Register,
        *,
        township: str | None = None,
        window_s: int = WINDOW_S,
        bucket_s: int = BUCKET_S,
        ratio: float = RATIO,
        recover_ratio: float = RECOVER_RATIO,
        min_expected: float = MIN_EXPECTED,
        periods: Mapping[str, int] = DEFAULT_HB_S,
    ) -> None:
        if bucket_s <= 0 or window_s <= 0 or window_s % bucket_s:
            raise ValueError("window_s must be a positive multiple of bucket_s")
        self._params: dict[str, Any] = {
            "township": township,
            "window_s": window_s,
            "bucket_s": bucket_s,
            "ratio": ratio,
            "recover_ratio": recover_ratio,
            "min_expected": min_expected,
            "periods": periods,
        }
        if not 0 < ratio <= recover_ratio <= 1:
            raise ValueError("need 0 < ratio <= recover_ratio <= 1")
        self.window_s = window_s
        self.ratio = ratio
        self.recover_ratio = recover_ratio
        self.min_expected = min_expected
        self._window_ns = window_s * NS
        self._bucket_ns = bucket_s * NS
        self._k = window_s // bucket_s + 1  # the window's buckets and the one now fills
        self._names: dict[str, str] = {}
        self._rate: dict[str, float] = {}  # township -> messages expected per window
        self._period: dict[str, tuple[str, int]] = {}  # device -> (township, period s)
        districts: set[str] = set()
        for h in register.households.values():
            if township is not None and h.township != township:
                continue
            districts.add(h.district)
            rate = self._rate.setdefault(h.township, 0.0)
            for d in h.devices:
                if d.id in self._period:
                    continue  # a device listed twice counts once, as in the register's index
                p = max(1, int(periods.get(d.kind, FALLBACK_HB_S)))
                self._period[d.id] = (h.township, p)
                rate += window_s / p
            self._rate[h.township] = rate
        for code in self._rate:
            self._names[code] = register.area_name(code)
        self._names[DISTRICT] = register.area_name(next(iter(districts))) if len(districts) == 1 else DISTRICT
        self._district = township is None
        self._counts: dict[str, list[int]] = {t: [0] * self._k for t in self._rate}
        self._epochs: dict[str, list[int]] = {t: [-1] * self._k for t in self._rate}
        self._start: int | None = None
        self._down = False
        self._judged = False  # judged at least once since the window (re)started
        self._since: dict[str, int] = {}

    def for_register(self, register: Register, now_ns: int) -> Silence:
        """The same judge for another register (a live import), listening afresh from ``now_ns``
        (the rates changed: the old window's counts would be judged against the wrong ones)."""
        fresh = Silence(register, **self._params)
        if self._start is not None:
            fresh.start(now_ns)
        return fresh

    # --- input -----------------------------------------------------------------------------------

    def start(self, now_ns: int) -> None:
        """Listen from ``now_ns``: empty counts, warm-up again, no silent area carried over."""
        self._start = now_ns
        self._judged = False
        self._since.clear()
        for t in self._counts:
            self._counts[t] = [0] * self._k
            self._epochs[t] = [-1] * self._k

    def observe(self, township: str, at_ns: int, n: int = 1) -> None:
        """``n`` device messages from ``township`` received at ``at_ns``; other townships are ignored."""
        counts = self._counts.get(township)
        if counts is None:
            return
        if self._start is None:
            self.start(at_ns)
        elif at_ns < self._start:
            return  # from before the listening began: not part of any window judged
        e = at_ns // self._bucket_ns
        s = e % self._k
        epochs = self._epochs[township]
        if epochs[s] != e:
            if epochs[s] > e:
                return  # older than the ring holds
            epochs[s] = e
            counts[s] = 0
        counts[s] += n

    def announce(self, dev: str, hb_s: int | None) -> None:
        """A device's own heartbeat period (``hb`` of its heartbeats) replaces its kind's default."""
        if not hb_s or hb_s <= 0:
            return
        known = self._period.get(dev)
        if known is None or known[1] == hb_s:
            return
        township, old = known
        self._period[dev] = (township, hb_s)
        self._rate[township] += self.window_s / hb_s - self.window_s / old

    # --- output ----------------------------------------------------------------------------------

    def expected(self, area: str) -> float:
        """Messages expected from ``area`` (a township, or ``"*"``) in one window."""
        if area == DISTRICT:
            return sum(self._rate.values())
        return self._rate.get(area, 0.0)

    def report(self, now_ns: int, bus_connected: bool) -> tuple[SilentArea, ...]:
        """The silent areas at ``now_ns``, the district first, then townships by code."""
        if not bus_connected:
            self._down = True
            self._since.clear()
            return ()
        if self._down or self._start is None:
            self._down = False
            self.start(now_ns)
        assert self._start is not None
        if now_ns - self._start < self._window_ns:
            return ()
        first = not self._judged
        self._judged = True
        # every bucket that holds a moment of the last window: it may reach one bucket further
        # back, never less, so the banner's "n in 10 min" misses nothing from those 10 minutes
        lo, hi = (now_ns - self._window_ns) // self._bucket_ns, now_ns // self._bucket_ns
        seen: dict[str, int] = {}
        for t, counts in self._counts.items():
            seen[t] = sum(c for c, e in zip(counts, self._epochs[t], strict=True) if lo <= e <= hi)
        judged: list[tuple[str, float, int]] = [(t, self._rate[t], seen[t]) for t in sorted(self._rate)]
        if self._district:
            judged.insert(0, (DISTRICT, sum(self._rate.values()), sum(seen.values())))
        out: list[SilentArea] = []
        for area, rate, n in judged:
            since = self._since.get(area)
            limit = (self.ratio if since is None else self.recover_ratio) * rate
            if rate < self.min_expected or n >= limit:
                self._since.pop(area, None)
                continue
            if since is None:
                since = max(self._start, now_ns - self._window_ns) if first else now_ns
                self._since[area] = since
            out.append(
                SilentArea(
                    area=area,
                    name=self._names.get(area, area),
                    expected=round(rate),
                    seen=n,
                    since=since,
                    window_s=self.window_s,
                )
            )
        return tuple(out)
