"""Training drills: scenario files (JSONL) published through a local broker, on their own time line.

A scenario is a header line ``{"scenario", "title_zh", "title_en", "district", ...}`` and then
one line per message ``{"after_s", "township", "dev", "payload", "note"?}``, the payload being
a v1 device payload without ``ts``: ``ts`` is the real time of publishing and ids get a run
suffix, so a drill can be run again and again against the same console (docs/register.md, section 5).

``load_scenario`` and the builders are pure (stdlib + msgspec + console.domain); paho is
imported only when a drill is actually published.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from console.domain.codec import Rejected, decode_device, device_topic
from console.domain.registry import Household, Register
from console.paths import resource
from console.sim.traffic import NS, rfc3339

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from console.sim.publisher import Flow

SCENARIOS: Final = (
    "kitchen_smoke_false_alarm",
    "co_needs_120",
    "gas_leak_needs_gas_company",
    "electrical_fault_at_night",
    "alarm_storm_hidden_fire",
)
_FIRST_KEYS: Final = ("v", "id", "dev", "kind", "evt")


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names the file and line."""


class ScenarioHeader(msgspec.Struct, kw_only=True):
    scenario: str
    title_zh: str
    title_en: str
    district: str = "SIM"
    description_zh: str = ""
    description_en: str = ""
    expect: dict[str, Any] = {}


class ScenarioItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    after_s: float
    township: str
    dev: str
    payload: dict[str, Any]
    note: str = ""


_header_decoder = msgspec.json.Decoder(ScenarioHeader)
_item_decoder = msgspec.json.Decoder(ScenarioItem)
_encoder = msgspec.json.Encoder()


def resolve(name: str) -> Path:
    """A path as given, or a name in resources/scenarios/ (with or without .jsonl)."""
    p = Path(name)
    if p.suffix == ".jsonl" and p.exists():
        return p
    stem = name[:-6] if name.endswith(".jsonl") else name
    return resource("scenarios", f"{stem}.jsonl")


def wire(header: ScenarioHeader, item: ScenarioItem, ts_ns: int, run: str = "") -> tuple[str, bytes]:
    """(topic, payload) for one item: ``ts`` filled in, ``dev``/``v`` defaulted, ``id`` run-suffixed."""
    body: dict[str, Any] = {"v": item.payload.get("v", 1)}
    base = str(item.payload.get("id", ""))
    body["id"] = (f"{base}-{run}" if run else base)[:64]
    body["dev"] = item.payload.get("dev", item.dev)
    for k in ("kind", "evt"):
        body[k] = item.payload.get(k)
    body["ts"] = rfc3339(ts_ns)
    for k, v in item.payload.items():
        if k not in _FIRST_KEYS and k != "ts":
            body[k] = v
    return device_topic(header.district, item.township, item.dev), _encoder.encode(body)


def load_scenario(path: str | Path) -> tuple[ScenarioHeader, list[ScenarioItem]]:
    """Parse and check a scenario: every line must make a payload the codec accepts."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read: {exc}") from exc
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ScenarioError(f"{p}: empty scenario")
    try:
        header = _header_decoder.decode(numbered[0][1])
    except msgspec.MsgspecError as exc:
        raise ScenarioError(f"{p}:{numbered[0][0]}: bad header: {exc}") from exc
    items: list[ScenarioItem] = []
    for n, line in numbered[1:]:
        try:
            item = _item_decoder.decode(line)
        except msgspec.MsgspecError as exc:
            raise ScenarioError(f"{p}:{n}: {exc}") from exc
        if item.after_s < 0:
            raise ScenarioError(f"{p}:{n}: after_s must not be negative")
        if "id" not in item.payload:
            raise ScenarioError(f"{p}:{n}: payload has no id")
        topic, raw = wire(header, item, 0, "check")
        checked = decode_device(topic, raw, 0)
        if isinstance(checked, Rejected):
            raise ScenarioError(f"{p}:{n}: payload rejected: {checked.reason} {checked.detail}")
        items.append(item)
    items.sort(key=lambda i: i.after_s)
    return header, items


# --- building the shipped scenarios from the default register --------------------------------


def _dev(h: Household, kind: str) -> str:
    return next(d.id for d in h.devices if d.kind == kind)


def _has(h: Household, *kinds: str) -> bool:
    have = {d.kind for d in h.devices}
    return all(k in have for k in kinds)


def _item(
    h: Household, kind: str, after: float, pid: str, evt: str = "alarm", note: str = "", **f: Any
) -> ScenarioItem:
    payload: dict[str, Any] = {"v": 1, "id": pid, "dev": _dev(h, kind), "kind": kind, "evt": evt, **f}
    return ScenarioItem(
        after_s=round(after, 1), township=h.township, dev=payload["dev"], payload=payload, note=note
    )


def build_scenarios(
    register: Register, seed: int = 7
) -> dict[str, tuple[ScenarioHeader, list[ScenarioItem]]]:
    """The shipped drills, with real device ids of ``register`` (the default seed's district)."""
    rng = random.Random(f"drills/{seed}")
    homes = sorted(register.households.values(), key=lambda h: h.code)
    district = homes[0].district if homes else "SIM"

    def pick(pred: Any) -> Household:
        pool = [h for h in homes if pred(h)]
        if not pool:
            raise ValueError("the register has no household this drill needs")
        return pool[rng.randrange(len(pool))]

    out: dict[str, tuple[ScenarioHeader, list[ScenarioItem]]] = {}

    h = pick(lambda h: _has(h, "smoke") and h.township <= "T08")
    out["kitchen_smoke_false_alarm"] = (
        ScenarioHeader(
            scenario="kitchen_smoke_false_alarm",
            title_zh="厨房油烟误报",
            title_en="Kitchen smoke false alarm",
            district=district,
            description_zh="午饭时间烟感报警，75 秒后自行恢复；核实为做饭油烟。",
            description_en="Smoke alarm at lunchtime that restores after 75 s; cooking smoke.",
            expect={"incidents": 1, "households": [h.code], "cause": "cooking_smoke"},
        ),
        [
            _item(h, "smoke", 0, "ks-1", note="cooking smoke"),
            _item(h, "smoke", 75, "ks-2", evt="restore"),
        ],
    )

    h = pick(lambda h: _has(h, "co") and bool(h.groups() & {"severely_disabled", "disabled_dementia"}))
    out["co_needs_120"] = (
        ScenarioHeader(
            scenario="co_needs_120",
            title_zh="一氧化碳超标，需呼叫120",
            title_en="Carbon monoxide rising: call 120",
            district=district,
            description_zh="失能老人家中CO浓度持续上升且不恢复，需上报并联系120。",
            description_en="CO keeps rising in a disabled elder's home, no restore: escalate to 120.",
            expect={"incidents": 1, "households": [h.code], "escalate": ["ambulance_120"]},
        ),
        [
            _item(h, "co", 0, "co-1", val=120.0, unit="ppm"),
            _item(h, "co", 45, "co-2", val=260.0, unit="ppm"),
            _item(h, "co", 120, "co-3", val=410.0, unit="ppm", note="no restore"),
        ],
    )

    h = pick(lambda h: _has(h, "gas"))
    out["gas_leak_needs_gas_company"] = (
        ScenarioHeader(
            scenario="gas_leak_needs_gas_company",
            title_zh="燃气泄漏，需联系燃气公司",
            title_en="Gas leak: call the gas company",
            district=district,
            description_zh="燃气浓度由低报升至高报，需上报燃气公司。",
            description_en="Gas goes from low to high concentration: escalate to the gas company.",
            expect={"incidents": 1, "households": [h.code], "escalate": ["gas"]},
        ),
        [
            _item(h, "gas", 0, "gas-1", lvl=1, val=15.0, unit="%LEL"),
            _item(h, "gas", 40, "gas-2", lvl=2, val=35.0, unit="%LEL"),
            _item(h, "gas", 90, "gas-3", lvl=2, val=52.0, unit="%LEL"),
        ],
    )

    h = pick(lambda h: _has(h, "electric") and h.township > "T08")
    out["electrical_fault_at_night"] = (
        ScenarioHeader(
            scenario="electrical_fault_at_night",
            title_zh="夜间电气故障",
            title_en="Electrical fault at night",
            district=district,
            description_zh="深夜线路过温、漏电、短路相继报警，断路器跳闸后恢复；恢复不关闭事件。",
            description_en="Over-temperature, leakage then a short at night; the breaker trips and the "
            "device restores, which must not close the incident.",
            expect={"incidents": 1, "households": [h.code], "escalate": ["power"]},
        ),
        [
            _item(h, "electric", 0, "el-1", code=202, val=78.0, unit="°C"),
            _item(h, "electric", 30, "el-2", code=201, val=320.0, unit="mA"),
            _item(h, "electric", 70, "el-3", code=603, val=180.0, unit="A"),
            _item(h, "electric", 240, "el-4", evt="restore", code=603),
        ],
    )

    out["alarm_storm_hidden_fire"] = _storm(homes, rng, district)
    return out


def _storm(
    homes: list[Household], rng: random.Random, district: str, n: int = 200
) -> tuple[ScenarioHeader, list[ScenarioItem]]:
    """200 cooking-smoke false alarms with restores, and one real fire with none."""
    fire_pool = [h for h in homes if _has(h, "smoke", "electric")]
    fire = fire_pool[rng.randrange(len(fire_pool))]
    smoky = [h for h in homes if _has(h, "smoke") and h.code != fire.code]
    items: list[ScenarioItem] = []
    for k, h in enumerate(rng.sample(smoky, n), start=1):
        at = rng.uniform(0, 120)
        items.append(_item(h, "smoke", at, f"st-{k}a"))
        items.append(_item(h, "smoke", at + rng.uniform(30, 150), f"st-{k}r", evt="restore"))
    at = round(rng.uniform(40, 80), 1)
    items.append(_item(fire, "smoke", at, "fire-1", note="real fire"))
    items.append(_item(fire, "electric", at + 35, "fire-2", code=202, val=135.0, unit="°C", note="real fire"))
    if _has(fire, "co"):
        items.append(_item(fire, "co", at + 60, "fire-3", val=480.0, unit="ppm", note="real fire"))
    items.sort(key=lambda i: i.after_s)
    header = ScenarioHeader(
        scenario="alarm_storm_hidden_fire",
        title_zh="报警风暴中的真实火情",
        title_en="A real fire hidden in an alarm storm",
        district=district,
        description_zh=f"两分钟内{n}起做饭油烟误报（均自行恢复），其中一户烟感+电气过温报警且不恢复：真实火情。",
        description_en=f"{n} cooking-smoke false alarms within two minutes, all restoring; one home has a "
        "smoke alarm plus an electrical over-temperature alarm and no restore: a real fire.",
        expect={"incidents": n + 1, "real_fire": fire.code},
    )
    return header, items


def scenario_text(header: ScenarioHeader, items: list[ScenarioItem]) -> str:
    lines = [_encoder.encode(header).decode()] + [_encoder.encode(i).decode() for i in items]
    return "\n".join(lines) + "\n"


def write_scenarios(directory: str | Path, register: Register) -> list[Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, items) in build_scenarios(register).items():
        p = d / f"{name}.jsonl"
        p.write_text(scenario_text(header, items), encoding="utf-8", newline="\n")
        written.append(p)
    return written


# --- publishing (a client from console.sim.publisher; the driver is console.entry.drill) ------------


def publish_scenario(
    client: mqtt.Client,
    flow: Flow,
    header: ScenarioHeader,
    items: list[ScenarioItem],
    speed: float = 1.0,
    run: str = "",
    on_sent: Callable[[ScenarioItem], None] | None = None,
) -> None:
    """Publish ``items`` on their own time line (``after_s / speed`` after the call), QoS 1.

    ``ts`` is the real time of publishing, ids carry the ``run`` suffix (``wire``);
    ``on_sent(item)`` after each publish. A Ctrl-C stops it between messages."""
    began = time.monotonic()
    for item in items:
        while (wait := began + item.after_s / speed - time.monotonic()) > 0:
            time.sleep(min(wait, 0.5))
        topic, raw = wire(header, item, time.time_ns(), run)
        flow.before_send()
        client.publish(topic, raw, qos=1)
        flow.sent += 1
        if on_sent is not None:
            on_sent(item)


def run_id() -> str:
    """A per-run id suffix: the wall clock in milliseconds, hex."""
    return f"{time.time_ns() // 1_000_000:x}"


__all__ = ["NS", "ScenarioHeader", "ScenarioItem", "build_scenarios", "load_scenario", "resolve", "wire"]
