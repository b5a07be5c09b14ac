"""BusConfig scope and the reconnect backoff (no broker needed)."""

from __future__ import annotations

import random

from console.io.bus_config import BusConfig, backoff_delay


def test_township_scope_and_receipts() -> None:
    cfg = BusConfig("h", 1883, "500103", "jiefangbei", "jfb-01")
    assert cfg.subscriptions() == [
        "guard/v1/evt/500103/jiefangbei/+",
        "guard/v1/notify/500103/receipt",
        "guard/v1/notify/500103/reply",  # the field's answers
        "guard/v1/notify/500103/gateway",  # the gateway's presence (retained)
        "guard/v1/bridge/500103/+",  # the ingest bridges' health (retained)
    ]
    assert cfg.client_id == "guardian-jfb-01"
    assert cfg.presence_topic == "guard/v1/console/500103/jfb-01"
    assert not cfg.use_tls


def test_district_scope_without_receipts_and_tls_from_ca() -> None:
    cfg = BusConfig("h", 8883, "500103", None, "d-01", receipts=False, ca_file="/etc/ca.crt")
    assert cfg.subscriptions() == ["guard/v1/evt/500103/#"]
    assert cfg.use_tls


def test_backoff_grows_with_jitter_and_caps() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(a, 0.5, 30.0, rng) for a in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert all(15.0 <= d <= 30.0 for d in delays[7:])  # 0.5 * 2**6 = 32 -> capped at 30
    assert len({round(d, 6) for d in delays[7:]}) > 1  # jittered, not lock-step
    assert backoff_delay(10_000, 0.5, 30.0, rng) <= 30.0
