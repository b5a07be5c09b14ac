"""Device traffic and drill scenarios: every payload is what the v1 contract says it is."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from console.domain.codec import REASONS, Rejected, decode_device
from console.domain.events import DeviceEvent
from console.domain.registry import Register
from console.paths import resource
from console.sim import drill
from console.sim.district import generate
from console.sim.traffic import (
    BAD_REASONS,
    ELECTRIC_CODES,
    NS,
    Item,
    Traffic,
    TrafficConfig,
    natural_heartbeats_per_s,
    payload,
    rfc3339,
)
from tests.support import T0

START = T0  # 2026-11-28 10:00 +08:00 (a winter Saturday morning)


@pytest.fixture(scope="module")
def reg() -> Register:
    return generate(seed=5, households=400)


def decode(item: Item) -> DeviceEvent | Rejected:
    return decode_device(item.topic, item.payload, 0)


def test_payload_helper_follows_the_contract() -> None:
    raw = payload(
        "860000000000001", "gas", "alarm", START + 123_456_789, "e-1", lvl=2, val=35.0, unit="%LEL", code=None
    )
    body = json.loads(raw)
    assert list(body) == ["v", "id", "dev", "kind", "evt", "ts", "lvl", "val", "unit"]
    assert body["ts"] == "2026-11-28T10:00:00.123+08:00"
    e = decode_device("guard/v1/evt/SIM/T01/860000000000001", raw, 0)
    assert isinstance(e, DeviceEvent)
    assert e.ts == START + 123_000_000 and e.lvl == 2 and e.unit == "%LEL"


def test_rfc3339_has_china_offset() -> None:
    text = rfc3339(START)
    assert text.endswith("+08:00")
    assert datetime.fromisoformat(text).timestamp() == START / NS


def test_mixed_stream_decodes_or_is_rejected_for_the_labelled_reason(reg: Register) -> None:
    cfg = TrafficConfig(seed=1, start_ns=START, alarms_per_min=20, troubles_per_min=5, heartbeat_scale=200)
    cfg.bad_ratio, cfg.dup_ratio, cfg.followup_scale = 0.08, 0.05, 30.0
    items = Traffic(reg, cfg).take(6000)
    labels = Counter(i.label.split(":", 1)[0] for i in items)
    assert {"heartbeat", "alarm", "restore", "bad", "dup"} <= set(labels)
    assert 0.06 < labels["bad"] / len(items) < 0.10
    for it in items:
        res = decode(it)
        if it.label.startswith("bad:"):
            assert isinstance(res, Rejected), it
            assert res.reason == it.label[4:], (it, res)
        else:
            assert isinstance(res, DeviceEvent), (it, res)
            if not it.label.startswith("dup:"):  # a duplicate carries the original's bytes
                assert res.ts == it.at_ns // 1_000_000 * 1_000_000
            if not it.label.startswith(("dup:", "unreg:", "storm:")):
                assert res.evt == it.label.split(":")[0]
            assert len(it.payload) <= 4096
    assert [i.at_ns for i in items] == sorted(i.at_ns for i in items)


def test_every_bad_reason_is_produced_and_is_a_codec_reason(reg: Register) -> None:
    t = Traffic(reg, TrafficConfig(seed=2, start_ns=START))
    assert set(BAD_REASONS) <= set(REASONS)
    for reason in BAD_REASONS:
        for _ in range(5):
            it = t.bad(START, reason)
            res = decode(it)
            assert isinstance(res, Rejected) and res.reason == reason, (reason, it, res)


def test_same_seed_same_items_other_seed_other_items(reg: Register) -> None:
    def run(seed: int) -> list[Item]:
        cfg = TrafficConfig(seed=seed, start_ns=START, alarms_per_min=10, heartbeat_scale=100, bad_ratio=0.1)
        cfg.dup_ratio = 0.1
        return Traffic(reg, cfg).take(1500)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_duplicates_are_identical_resends(reg: Register) -> None:
    cfg = TrafficConfig(seed=3, start_ns=START, alarms_per_min=10, heartbeat_scale=100, dup_ratio=0.2)
    items = Traffic(reg, cfg).take(2000)
    seen: set[tuple[str, bytes]] = set()
    dups = 0
    for it in items:
        if it.label.startswith("dup:"):
            dups += 1
            assert (it.topic, it.payload) in seen
        seen.add((it.topic, it.payload))
    assert dups > 100


def test_alarm_mix_by_time_of_day_and_season(reg: Register) -> None:
    t = Traffic(reg, TrafficConfig(start_ns=START))
    lunch_winter = 1_795_838_400 * NS  # 2026-11-28 12:00 +08:00
    night_winter = lunch_winter + 9 * 3600 * NS  # 21:00
    night_summer = night_winter - 180 * 86400 * NS  # early June, 21:00
    lunch = t.story_weights(lunch_winter)
    assert lunch["kitchen_smoke"] == max(lunch.values())
    assert t.story_weights(night_winter)["co"] > t.story_weights(lunch_winter)["co"]
    assert t.story_weights(night_winter)["co"] > 5 * t.story_weights(night_summer)["co"]
    # and the generated alarms follow it: lunchtime is mostly kitchen smoke
    cfg = TrafficConfig(
        seed=4, start_ns=lunch_winter, alarms_per_min=60, troubles_per_min=0, heartbeat_scale=0.01
    )
    cfg.unregistered_ratio = 0
    items = list(Traffic(reg, cfg).until(lunch_winter + 3600 * NS))
    stories = Counter(i.label for i in items if i.label.startswith("alarm:"))
    assert stories.most_common(1)[0][0] == "alarm:kitchen_smoke"


def test_alarm_values_and_follow_ups(reg: Register) -> None:
    cfg = TrafficConfig(seed=6, start_ns=START, alarms_per_min=2, troubles_per_min=1, heartbeat_scale=0.01)
    cfg.real_fire_ratio, cfg.unregistered_ratio = 0.2, 0.05
    items = list(Traffic(reg, cfg).until(START + 8 * 3600 * NS))
    events = [(i.label, decode(i)) for i in items]
    restored: set[str] = set()
    alarmed: dict[str, str] = {}
    stories: dict[str, set[str]] = {}
    for label, e in events:
        assert isinstance(e, DeviceEvent)
        if e.evt == "alarm" and e.kind == "electric":
            assert e.code in ELECTRIC_CODES and e.unit == ELECTRIC_CODES[e.code][0] and e.val is not None
        if e.evt == "alarm" and e.kind == "gas" and not label.endswith("fire"):
            assert e.lvl in (1, 2) and e.unit == "%LEL" and e.val is not None
        if e.evt == "alarm" and e.kind == "co":
            assert e.unit == "ppm" and e.val is not None and e.val >= 50
        if e.evt == "alarm":
            alarmed.setdefault(e.dev, label)
            stories.setdefault(e.dev, set()).add(label)
        if e.evt == "restore":
            restored.add(e.dev)
        if label == "unreg:alarm":
            assert reg.household_of_device(e.dev) is None
        elif e.evt != "heartbeat":
            assert reg.household_of_device(e.dev) is not None
    kitchen = [d for d, label in alarmed.items() if label == "alarm:kitchen_smoke"]
    fires = [d for d, labels in stories.items() if labels == {"alarm:fire"}]
    assert kitchen and fires
    assert all(d in restored for d in kitchen)  # restores come within minutes
    assert not any(d in restored for d in fires)  # a real fire does not restore
    every_fire = [d for d, labels in stories.items() if "alarm:fire" in labels]
    homes = Counter(reg.household_of_device(d).code for d in every_fire)  # type: ignore[union-attr]
    assert max(homes.values()) >= 2  # smoke plus a second device in the same home
    labels = Counter(label.split(":")[0] for label, _ in events)
    assert labels["fault"] and labels["fault_clear"] and labels["tamper"] and labels["low_battery"]


def test_heartbeat_scale_rate_and_offline_devices(reg: Register) -> None:
    scale = 60.0
    expect = natural_heartbeats_per_s(reg, scale)
    cfg = TrafficConfig(seed=7, start_ns=START, alarms_per_min=0, troubles_per_min=0, heartbeat_scale=scale)
    cfg.offline_ratio = 0.0
    t = Traffic(reg, cfg)
    window = 600
    beats = [i for i in t.until(START + window * NS) if i.label == "heartbeat"]
    # the first period is a uniform phase, so measure the second half of the window
    late = [b for b in beats if b.at_ns >= START + window // 2 * NS]
    assert 0.8 * expect < len(late) / (window / 2) < 1.2 * expect
    e = decode(beats[0])
    assert isinstance(e, DeviceEvent) and e.hb and e.bat is not None and e.rssi is not None

    gone = Traffic(
        reg, TrafficConfig(seed=7, start_ns=START, alarms_per_min=0, troubles_per_min=0, offline_ratio=1.0)
    )
    longest = max(d.period_ns for d in gone.devs)
    after = [i for i in gone.until(START + 3 * longest) if i.at_ns > START + 2 * longest]
    assert after == []


def test_storm_is_many_alarms_from_distinct_devices(reg: Register) -> None:
    t = Traffic(reg, TrafficConfig(seed=8, start_ns=START))
    storm = t.storm(150, at_ns=START, window_s=30)
    assert len(storm) == 150 and all(i.label == "storm:alarm" for i in storm)
    assert len({i.topic for i in storm}) == 150
    assert all(START <= i.at_ns <= START + 30 * NS for i in storm)
    assert all(isinstance(decode(i), DeviceEvent) for i in storm)


# --- drill scenarios -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", drill.SCENARIOS)
def test_shipped_scenarios_load_and_decode(name: str) -> None:
    header, items = drill.load_scenario(drill.resolve(name))
    assert header.scenario == name and header.title_zh and header.title_en and header.district == "SIM"
    assert items and items == sorted(items, key=lambda i: i.after_s)
    run = "r1"
    ids = set()
    for item in items:
        topic, raw = drill.wire(header, item, START, run)
        e = decode_device(topic, raw, 0)
        assert isinstance(e, DeviceEvent), (item, e)
        assert e.id.endswith("-r1") and e.ts == START
        ids.add((e.dev, e.id))
    assert len(ids) == len(items)


def test_storm_scenario_hides_one_real_fire() -> None:
    header, items = drill.load_scenario(drill.resolve("alarm_storm_hidden_fire"))
    alarms: dict[str, set[str]] = {}
    restores: set[str] = set()
    homes: dict[str, str] = {}
    reg = generate()
    for item in items:
        h = reg.household_of_device(item.dev)
        assert h is not None and h.township == item.township  # real device ids of the default seed
        homes[item.dev] = h.code
        if item.payload["evt"] == "alarm":
            alarms.setdefault(h.code, set()).add(item.dev)
        else:
            restores.add(h.code)
    assert len(alarms) == 201 and header.expect["incidents"] == 201
    never_restored = [code for code in alarms if code not in restores]
    assert never_restored == [header.expect["real_fire"]]
    assert len(alarms[never_restored[0]]) >= 2  # smoke plus a second device
    assert sum(1 for code in alarms if len(alarms[code]) == 1 and code in restores) == 200
    # the shipped files are exactly what the builder makes from the default register
    for name, (h, its) in drill.build_scenarios(reg).items():
        assert resource("scenarios", f"{name}.jsonl").read_text(encoding="utf-8") == drill.scenario_text(
            h, its
        )


def test_bad_scenario_lines_name_the_line(tmp_path: pytest.TempPathFactory) -> None:
    head = '{"scenario": "x", "title_zh": "测试", "title_en": "test", "district": "SIM"}'
    good = '{"after_s": 1, "township": "T01", "dev": "860000000000001", "payload": {"id": "a", "kind": "smoke", "evt": "alarm"}}'
    bad_kind = '{"after_s": 2, "township": "T01", "dev": "860000000000001", "payload": {"id": "b", "kind": "flood", "evt": "alarm"}}'
    p = tmp_path / "s.jsonl"  # type: ignore[operator]
    p.write_text("\n".join([head, good, "", bad_kind]) + "\n", encoding="utf-8")
    with pytest.raises(drill.ScenarioError, match=r"s\.jsonl:4: payload rejected: unknown_kind"):
        drill.load_scenario(p)
    p.write_text("\n".join([head, good, "{not json"]), encoding="utf-8")
    with pytest.raises(drill.ScenarioError, match=r":3:"):
        drill.load_scenario(p)
    p.write_text("\n".join([head, good]), encoding="utf-8")
    header, items = drill.load_scenario(p)
    assert header.scenario == "x" and items[0].dev == "860000000000001"
