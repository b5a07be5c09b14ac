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


def test_the_files_read_are_listed_for_the_start_up_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe_dir = tmp_path / "GuardianConsole"
    exe_dir.mkdir()
    (exe_dir / "console.toml").write_text('district = "500112"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe_dir / "GuardianConsole.exe"))
    missing = tmp_path / "nobody.toml"
    s = config.load(missing)
    assert s.district == "500112"
    assert config.LOADED_FROM == [exe_dir / "console.toml"]  # the missing user file is not listed
    assert s.loaded_from == (exe_dir / "console.toml",)  # type: ignore[attr-defined]
    assert config.beside_executable() == exe_dir / "console.toml"


def test_no_district_by_default() -> None:
    # the district comes from the settings or the register, never a silent "SIM"
    assert config.Settings().district == ""
