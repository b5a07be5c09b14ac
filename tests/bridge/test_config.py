"""bridge.toml: the shipped example reads, every mistake names its key and file, no secret in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.bridge import config
from console.paths import resource
from tests.bridge.bridge_support import store_with_device

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_example_reads() -> None:
    cfg = config.load(resource("bridge", "bridge.toml"))
    assert [(p.kind, p.name) for p in cfg.platforms] == [
        ("ctwing", "ctwing"),
        ("onenet", "onenet"),
        ("iotda", "iotda"),
    ]
    assert cfg.broker.district == "500106" and cfg.server.port == 8443 and cfg.bridge_id == "bridge-1"
    assert cfg.data_dir == resource("bridge", "bridge-data") and cfg.outbox_soft < cfg.outbox_hard


def base(**more: object) -> dict[str, object]:
    return {"broker": {"district": "D1"}, "platforms": [{"kind": "ctwing"}], **more}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"broker": {"district": "D1"}}, "nothing to take alarms from"),
        (base(platforms=[{"kind": "mqtt"}]), "kind must be one of ctwing, onenet, iotda"),
        (base(platforms=[{"kind": "ctwing", "token": "x"}]), "token must not be in the config file"),
        (base(broker={"password": "x"}), "password must not be in the config file"),
        (base(platforms=[{"kind": "ctwing"}, {"kind": "ctwing"}]), "two platforms have the same name"),
        (base(platforms=[{"kind": "ctwing", "name": "a/b"}]), "name must be letters"),
        (base(server={"tls_cert": "c.pem"}), "tls_cert and tls_key go together"),
        (base(bridge={"outbox_soft": 10, "outbox_hard": 5}), "outbox_hard must be at least outbox_soft"),
        (base(bridge={"status_every_s": 0}), "status_every_s must be a positive number"),
        (base(bridge={"id": "a/b"}), "id must be 1-64 characters"),
        (base(mqtt=[{"name": "v", "topic": "t", "product": "p"}]), "ids must name at least one device id"),
        (base(mqtt=[{"name": "v", "product": "p", "ids": {"imei": "imei"}}]), "topic is required"),
    ],
)
def test_each_mistake_names_its_key(data: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match=message) as e:
        config.parse(data, tmp_path / "bridge.toml")
    assert str(tmp_path / "bridge.toml") in str(e.value)


def test_an_unreadable_file_says_why(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="No such file"):
        config.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[bridge\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"bad\.toml"):
        config.load(bad)


def bridge_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "bridge", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_reads_everything_and_a_broken_product_table_exits_3(tmp_path: Path) -> None:
    db = store_with_device(tmp_path / "journal.sqlite")
    ok = bridge_cli(
        "--config", str(resource("bridge", "bridge.toml")), "--db-url", f"sqlite:///{db}", "--check"
    )
    assert ok.returncode == 0, ok.stderr
    assert "platforms ctwing, onenet, iotda" in ok.stdout and "register 1 devices" in ok.stdout
    assert "6 product tables" in ok.stdout
    tables = tmp_path / "vendors"
    tables.mkdir()
    (tables / "broken.toml").write_text(
        'platform = "ctwing"\nproduct_id = "1"\nkind = "smoke"\n', encoding="utf-8"
    )
    cfg = tmp_path / "bridge.toml"
    cfg.write_text('[bridge]\nproducts = "vendors"\n[[platforms]]\nkind = "ctwing"\n', encoding="utf-8")
    bad = bridge_cli("--config", str(cfg), "--db-url", f"sqlite:///{db}", "--check")
    assert bad.returncode == 3 and "broken.toml" in bad.stderr, bad.stderr
    (tables / "broken.toml").unlink()
    cfg.write_text("[bridge]\n", encoding="utf-8")
    assert bridge_cli("--config", str(cfg), "--check").returncode == 2
