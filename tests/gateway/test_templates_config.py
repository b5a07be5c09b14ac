"""Templates (fit or a coded error, never a truncation), the config file and the secrets."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from console.domain.codec import NotifyRequest
from console.gateway import config
from console.gateway.provider import Message
from console.gateway.templates import Param, Template, TemplateError, Templates
from console.io.secrets import Redactor, Secret, SecretError, SecretStore

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "沙坪坝区示范街道桃苑社区演练街273号7栋3单元15-5"


def req(role: str = "guardian", channel: str = "sms", **vars: str) -> NotifyRequest:
    v = {"address": ADDRESS, "kinds": "烟感", "incident": "12", **vars}
    return NotifyRequest(
        req=f"I12-C7-{channel}-1",
        incident=12,
        household="h",
        channel=channel,
        role=role,
        to="13800138000",
        text="t",
        vars=v,
    )


ALARM = Template(
    "alarm",
    frozenset(),
    "sms",
    "aliyun",
    "SMS_1",
    (Param("address", "address"), Param("kinds", "kinds"), Param("incident", "incident")),
    sign="守护台",
)


def test_a_request_fills_the_template_in_order() -> None:
    t = Templates([ALARM], kinds={"aliyun": "aliyun"})
    m = t.render("aliyun", req())
    assert isinstance(m, Message)
    assert list(m.params.items()) == [("address", ADDRESS), ("kinds", "烟感"), ("incident", "12")]
    assert (m.template, m.sign, m.out_id, m.phone) == ("SMS_1", "守护台", "I12-C7-sms-1", "13800138000")


def test_too_long_is_an_error_never_a_truncation() -> None:
    t = Templates([ALARM], kinds={"aliyun": "aliyun"})
    long = "重庆市" + "很长的" * 12  # 39 characters > Alibaba's 35
    assert t.render("aliyun", req(address=long)) == TemplateError("template:address:too_long")
    tencent = Templates(
        [Template("alarm", frozenset(), "sms", "tc", "1", (Param("kinds", "kinds"),))],
        kinds={"tc": "tencent"},
    )
    assert tencent.render("tc", req(kinds="烟感、一氧化碳、燃气泄漏")) == TemplateError(
        "template:kinds:too_long"
    )  # > 6


def test_no_template_and_a_missing_var() -> None:
    t = Templates([ALARM], kinds={"aliyun": "aliyun"})
    assert t.render("aliyun", req(channel="voice")) == TemplateError("template:missing")
    no_kinds = req()
    no_kinds = NotifyRequest(
        **{**{f: getattr(no_kinds, f) for f in no_kinds.__struct_fields__}, "vars": {"address": "x"}}
    )
    assert t.render("aliyun", no_kinds) == TemplateError("template:kinds:missing")


def test_a_role_template_wins_over_the_general_one() -> None:
    worker = Template(
        "alarm", frozenset({"grid_worker"}), "sms", "aliyun", "SMS_W", (Param("address", "address"),)
    )
    t = Templates([ALARM, worker], kinds={"aliyun": "aliyun"})
    assert isinstance(m := t.render("aliyun", req(role="grid_worker")), Message) and m.template == "SMS_W"
    assert isinstance(m := t.render("aliyun", req(role="elder")), Message) and m.template == "SMS_1"


def test_the_shipped_example_config_loads() -> None:
    cfg = config.load(ROOT / "resources" / "gateway" / "gateway.toml")
    assert [p.name for p in cfg.providers] == ["aliyun", "tencent"]
    assert cfg.providers[0].endpoint("sms") == "https://dysmsapi.aliyuncs.com"
    assert cfg.providers[0].limits["voice"].per_minute == 1
    assert {(t.provider, t.channel) for t in cfg.templates} >= {
        ("aliyun", "sms"),
        ("aliyun", "voice"),
        ("tencent", "sms"),
    }


def test_a_secret_in_the_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="must not be in the config file"):
        config.parse({"providers": [{"name": "aliyun", "access_key_secret": "x"}]}, tmp_path / "g.toml")


def test_keys_from_env_then_file_and_an_open_file_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text('[aliyun]\naccess_key_secret = "from-file-secret"\n', encoding="utf-8")
    os.chmod(keys, 0o640)
    with pytest.raises(SecretError, match="chmod 600"):
        SecretStore(keys, env={}, use_keyring=False)
    os.chmod(keys, 0o600)
    s = SecretStore(keys, env={"GUARDIAN_TENCENT_SECRET_KEY": "from-env"}, use_keyring=False)
    assert s.require("aliyun", "access_key_secret").reveal() == "from-file-secret"
    assert s.require("tencent", "secret_key").reveal() == "from-env"
    with pytest.raises(SecretError) as e:
        s.require("aliyun", "callback_token")
    assert "GUARDIAN_ALIYUN_CALLBACK_TOKEN" in str(e.value)
    assert (
        "from-file" not in repr(s.require("aliyun", "access_key_secret"))
        and str(Secret("x")) == "Secret(***)"
    )


def test_the_redactor_hides_a_known_secret(caplog: pytest.LogCaptureFixture) -> None:
    s = SecretStore(None, env={"GUARDIAN_ALIYUN_ACCESS_KEY_SECRET": "sekrit-value-42"}, use_keyring=False)
    s.require("aliyun", "access_key_secret")
    caplog.handler.addFilter(Redactor(s))
    logging.getLogger("console.gateway.test").warning("oops %s", "sekrit-value-42")
    assert "sekrit-value-42" not in caplog.text and "***" in caplog.text


class MemoryKeyring(KeyringBackend):
    """A keyring backend in memory: the lookup goes through the keyring package's own API, as
    Windows Credential Manager or the Secret Service would be reached."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.asked: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.asked.append((service, username))
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_keys_from_the_os_keyring_between_the_environment_and_the_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(
        '[aliyun]\naccess_key_secret = "from-file"\naccess_key_id = "id-from-file"\n', encoding="utf-8"
    )
    os.chmod(keys, 0o600)
    keyring.set_password("guardian-gateway", "aliyun.access_key_secret", "from-keyring")
    keyring.set_password("guardian-bridge", "ctwing.token", "bridge-token")
    s = SecretStore(keys, env={"GUARDIAN_ALIYUN_CALLBACK_TOKEN": "from-env"})
    assert s.require("aliyun", "access_key_secret").reveal() == "from-keyring"  # before the file
    assert s.require("aliyun", "access_key_id").reveal() == "id-from-file"  # the keyring has none
    assert s.require("aliyun", "callback_token").reveal() == "from-env"  # the environment first
    assert ("guardian-gateway", "aliyun.callback_token") not in memory_keyring.asked
    # each service has its own entries
    assert (
        SecretStore(None, env={}, service="guardian-bridge").require("ctwing", "token").reveal()
        == "bridge-token"
    )
    assert SecretStore(None, env={}).get("ctwing", "token") is None
    with pytest.raises(SecretError, match=r"guardian-bridge/onenet\.token"):
        SecretStore(None, env={}, service="guardian-bridge").require("onenet", "token")
    # use_keyring=False never asks it
    memory_keyring.asked.clear()
    SecretStore(None, env={}, use_keyring=False).get("aliyun", "access_key_secret")
    assert memory_keyring.asked == []
