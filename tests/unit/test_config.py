"""Settings precedence: defaults < installer file < user file < environment < flags."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from console import config


def test_file_env_and_flags_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "console.toml"
    f.write_text('district = "CQ"\n[broker]\nhost = "10.0.0.5"\nport = 8883\n', encoding="utf-8")
    monkeypatch.setenv("GUARDIAN_BROKER_PORT", "1884")
    s = config.load(f, {"district": "FLAG"})
    assert (s.broker_host, s.broker_port, s.district) == ("10.0.0.5", 1884, "FLAG")


def test_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "console.toml"
    f.write_text("broker_port = [oops\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(f)
    f.write_text('broker_port = "not a number"\n', encoding="utf-8")
    with pytest.raises(config.ConfigError, match="broker_port"):
        config.load(f)


def test_frozen_build_reads_the_installer_defaults_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe_dir = tmp_path / "Program Files" / "GuardianConsole"
    exe_dir.mkdir(parents=True)
    (exe_dir / "console.toml").write_text('district = "INSTALLER"\ntownship = "T03"\n', encoding="utf-8")
    user = tmp_path / "user.toml"
    user.write_text('township = "T07"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe_dir / "GuardianConsole.exe"))
    s = config.load(user)
    assert (s.district, s.township) == ("INSTALLER", "T07")


def test_remember_keeps_other_settings(tmp_path: Path) -> None:
    f = tmp_path / "console.toml"
    f.write_text('district = "CQ"\n[broker]\nhost = "h"\n', encoding="utf-8")
    config.remember("locale", "en", f)
    config.remember("locale", "zh_CN", f)
    s = config.load(f)
    assert (s.locale, s.district, s.broker_host) == ("zh_CN", "CQ", "h")
