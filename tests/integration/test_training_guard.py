"""Issue 17 item 3: a TRAINING console stays training. It refuses a broker that is not on
loopback (the topic root is the live ``guard/v1/``: console/domain/codec.py), and its requests
never go out on the live notification topic (bootstrap.TrainingPublisher), checked through a
real Mosquitto with a subscriber on ``guard/v1/notify/#``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.bootstrap import Core, TrainingPublisher, build_core
from console.config import Settings, TrainingError, training_settings
from console.domain.codec import decode_notify, device_topic, notify_req_topic
from console.sim.district import generate
from console.sim.traffic import payload
from tests.fixtures.brokers import MosquittoBroker, Watcher, publish_paho, wait_until
from tests.support import Msg

ROOT = Path(__file__).resolve().parents[2]
FAR = "10.255.255.1"  # not loopback (and not routed: nothing may be tried on it)


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=7, households=200)


def smoke_alarm(register: Any, id_: str) -> Msg:
    hh = next(h for h in register.households.values() if any(d.kind == "smoke" for d in h.devices))
    dev = next(d for d in hh.devices if d.kind == "smoke")
    return Msg(
        device_topic("SIM", hh.township, dev.id), payload(dev.id, "smoke", "alarm", time.time_ns(), id_)
    )


def test_run_training_refuses_a_broker_that_is_not_loopback(tmp_path: Path) -> None:
    env = {**os.environ, "GUARDIAN_DATA_DIR": str(tmp_path), "GUARDIAN_CONFIG": str(tmp_path / "none.toml")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    proc = subprocess.run(
        [sys.executable, "-m", "console", "run", "--training", "--broker-host", FAR, "--broker-port", "1883"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"training publishes through a local broker only, not {FAR}" in proc.stderr
    assert not (tmp_path / "training.sqlite").exists()  # refused before any journal opened


def test_the_training_guard_and_the_core_refuse_a_far_broker(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="local broker only"):
        training_settings(Settings(broker_host=FAR))
    s = Settings(broker_host=FAR, training=True, db_url=f"sqlite:///{tmp_path / 't.sqlite'}", district="SIM")
    with pytest.raises(TrainingError, match="local broker only"):  # headless and any other driver too
        build_core(s, register=generate(seed=1, households=5))
    assert training_settings(Settings(broker_host="127.0.0.1")).training


def test_a_far_broker_is_accepted_only_under_a_training_root_of_its_own() -> None:
    ok = training_settings(Settings(broker_host=FAR, training_topic_root="guard-training/v1/"))
    assert ok.training and ok.training_topic_root == "guard-training/v1/"
    for root in ("guard/v1/", "guard/v1/training/", "guard/", "guard-training/v1", "t/#/", "t/+/"):
        with pytest.raises(TrainingError, match=r"apart from the live root|end with"):
            training_settings(Settings(broker_host=FAR, training_topic_root=root))


def test_the_training_root_is_a_flag_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from console.config import load

    monkeypatch.setenv("GUARDIAN_TRAINING_TOPIC_ROOT", "guard-training/v1/")
    cfg = tmp_path / "console.toml"
    cfg.write_text('training_topic_root = "guard-training/v1/"\n', encoding="utf-8")
    assert load(cfg).training_topic_root is None  # one start's confirmation, never kept


def test_a_training_console_under_its_own_root_hears_and_sends_only_there(
    mosquitto: MosquittoBroker, tmp_path: Path, register: Any
) -> None:
    live = Watcher(mosquitto, "guard/v1/#")
    own = Watcher(mosquitto, "guard-training/v1/#")
    s = Settings(
        broker_host=mosquitto.host,
        broker_port=mosquitto.port,
        district="SIM",
        console_id=f"tr-{uuid.uuid4().hex[:6]}",
        db_url=f"sqlite:///{tmp_path / 'training.sqlite'}",
        training=True,
        training_topic_root="guard-training/v1/",
    )
    core = build_core(s, register=register, clock=FakeClock(time.time_ns()))
    try:
        wait_until(
            lambda: core.engine.status().bus == "connected", 20, "bus connected", on=core.engine.changes
        )
        m = smoke_alarm(register, "on-live-root")
        publish_paho(mosquitto, [(m.topic, m.payload)])  # a live alarm: not this console's to hear
        drill = smoke_alarm(register, "on-training-root")
        publish_paho(mosquitto, [("guard-training/v1/" + drill.topic[len("guard/v1/") :], drill.payload)])
        wait_until(lambda: notifications(core), 20, "the drill's incident", on=core.engine.changes)
        keys = core.engine.query(lambda w: [k for i in w.incidents.values() for k in i.alarms]).result(10)
        assert len(keys) == 1 and keys[0].endswith("/on-training-root")  # the live one was never heard
        asked = notifications(core)
        wait_until(
            lambda: len([p for p in own.payloads if b'"req"' in p]) >= len(asked),
            20,
            "the requests under the training root",
            on=own.changes,
        )
        # nothing of the console's on the live root: once a marker sent after it all has arrived
        marker = f"marker-{uuid.uuid4().hex}".encode()
        publish_paho(mosquitto, [("guard/v1/marker", marker)])
        live.wait_for(lambda p: p == marker, 20, "the marker")
        assert [p for p in live.payloads if p not in (m.payload, marker)] == []
    finally:
        core.stop()
        live.close()
        own.close()


def console(mosquitto: MosquittoBroker, tmp_path: Path, register: Any, training: bool) -> Core:
    s = Settings(
        broker_host=mosquitto.host,
        broker_port=mosquitto.port,
        district="SIM",
        console_id=f"tg-{uuid.uuid4().hex[:6]}",
        db_url=f"sqlite:///{tmp_path / ('training' if training else 'live')}.sqlite",
        training=training,
    )
    c = build_core(s, register=register, clock=FakeClock(time.time_ns()))
    wait_until(lambda: c.engine.status().bus == "connected", 20, "bus connected", on=c.engine.changes)
    return c


def notifications(core: Core) -> set[str]:
    return core.engine.query(  # type: ignore[no-any-return]
        lambda w: {n for i in w.incidents.values() for n in i.notifications}
    ).result(10)


def test_a_training_console_never_publishes_on_the_live_notification_topic(
    mosquitto: MosquittoBroker, tmp_path: Path, register: Any
) -> None:
    watcher = Watcher(mosquitto, "guard/v1/notify/#")
    drill = Watcher(mosquitto, TrainingPublisher.TRAINING_ROOT + "notify/#")
    core = console(mosquitto, tmp_path, register, training=True)
    try:
        pub = core.engine.publisher
        assert isinstance(pub, TrainingPublisher)
        core.engine.submit_bus([smoke_alarm(register, "drill-1")])
        asked = wait_until(lambda: notifications(core), 20, "the incident's requests", on=core.engine.changes)
        assert pub.rerouted_event.wait(20), "the engine never offered its requests"
        # the drill's requests go out under the training root and are acknowledged there ...
        wait_until(
            lambda: (
                len({r for r in core.store.journal.read(1) if r.type == "npub"}) > 0
                and core.engine.query(
                    lambda w: all(
                        n.status != "requested"
                        for i in w.incidents.values()
                        for n in i.notifications.values()
                    )
                ).result(10)
            ),
            20,
            "every request acknowledged",
            on=core.engine.changes,
        )
        wait_until(lambda: len(drill.payloads) >= len(asked), 20, "the drill's requests", on=drill.changes)
        got = {decode_notify(p).req for p in drill.payloads}  # type: ignore[union-attr]
        assert got == asked
        # ... and never on the live topic: the broker delivers in order per subscription, so once
        # a marker sent after them has arrived, anything sent on the live topic would have too
        marker = f"marker-{uuid.uuid4().hex}".encode()
        publish_paho(mosquitto, [("guard/v1/notify/SIM/marker", marker)])
        watcher.wait_for(lambda p: p == marker, 20, "the marker")
        assert watcher.payloads == [marker]
        # no gateway answers a drill: the console takes each acknowledged request as accepted by
        # the provider "training", so the drill's 1-minute mark works as in a shift
        wait_until(
            lambda: core.engine.query(
                lambda w: all(
                    n.accepted_at is not None and n.provider == "training"
                    for i in w.incidents.values()
                    for n in i.notifications.values()
                )
            ).result(10),
            20,
            "the training receipts",
            on=core.engine.changes,
        )
        assert (
            core.engine.query(lambda w: next(iter(w.incidents.values())).alert_out_at).result(10) is not None
        )
    finally:
        core.stop()
        watcher.close()
        drill.close()


def test_a_live_console_on_the_same_rig_does_publish(
    mosquitto: MosquittoBroker, tmp_path: Path, register: Any
) -> None:
    """The control: the same subscriber sees a live console's request, so the silence above means
    something."""
    watcher = Watcher(mosquitto, "guard/v1/notify/#")
    core = console(mosquitto, tmp_path, register, training=False)
    try:
        assert not isinstance(core.engine.publisher, TrainingPublisher)
        core.engine.submit_bus([smoke_alarm(register, "live-1")])
        watcher.wait_for(lambda p: b"req" in p, 20, "a live notification request")
        assert notify_req_topic("SIM").startswith(TrainingPublisher.LIVE)
    finally:
        core.stop()
        watcher.close()
