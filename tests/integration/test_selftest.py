"""``python -m console selftest`` from source: every check passes on the real tree, a broken
resources dir is reported check by check (never a crash), and the frozen entry script's
``-m`` pass-through works."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.diagnostics import selftest
from console.diagnostics.selftest import CheckFailed, Context

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GUARDIAN_DATA_DIR"] = str(tmp_path / "data")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(args: list[str], tmp_path: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=timeout
    )


def _broken_resources(tmp_path: Path) -> Path:
    bad = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", bad)
    (bad / "checklists" / "gas.toml").unlink()
    (bad / "risk.toml").write_text("[vulnerability]\nthis is = = not toml\n", encoding="utf-8")
    (bad / "sounds" / "alert.wav").write_bytes(b"not a wave file at all")
    scenario = sorted((bad / "scenarios").glob("*.jsonl"))[0]
    scenario.write_text(scenario.read_text(encoding="utf-8") + "{broken json\n", encoding="utf-8")
    (bad / "map" / "leaflet" / "leaflet.js").unlink()
    return bad


def test_selftest_from_source_passes_and_lists_every_check(tmp_path: Path) -> None:
    proc = _run(["-m", "console", "selftest"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("selftest (source): 15 checks")
    for name in selftest.CHECKS:
        assert any(line.split()[:2] == ["PASS", name] for line in lines), f"{name} missing:\n{proc.stdout}"
    assert lines[-1] == f"selftest: {len(selftest.CHECKS)} passed, 0 failed"
    # The journal check proves verification really catches an edit, not just that it runs.
    assert "edit detected at seq 2" in proc.stdout


def test_broken_resources_fail_check_by_check(tmp_path: Path) -> None:
    bad = _broken_resources(tmp_path)
    skip = "broker,imports,journal,migrations,translations"
    proc = _run(["-m", "console", "selftest", "--json", "--resources", str(bad), "--skip", skip], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    results = {c["name"]: c for c in doc["checks"]}
    assert doc["ok"] is False and doc["resources"] == str(bad.resolve())
    assert set(doc["failed"]) == {"checklists", "risk", "sounds", "scenarios", "map-assets", "map"}
    assert "no checklist for gas" in results["checklists"]["detail"]
    assert "not a RIFF/WAVE" in results["sounds"]["detail"]
    assert "line" in results["scenarios"]["detail"] and scenario_name(bad) in results["scenarios"]["detail"]
    assert "leaflet/leaflet.js" in results["map-assets"]["detail"]
    assert results["resources"]["ok"] and results["broker-config"]["ok"] and results["register"]["ok"]


def scenario_name(bad: Path) -> str:
    return sorted((bad / "scenarios").glob("*.jsonl"))[0].name


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    proc = _run(["-m", "console", "selftest", "--only", "nonsense"], tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "unknown check(s) nonsense" in proc.stderr


def test_a_broken_checklist_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "checklists"
    shutil.copytree(ROOT / "resources" / "checklists", folder)
    text = (folder / "smoke.toml").read_text(encoding="utf-8")
    (folder / "smoke.toml").write_text(text.replace("stage = 5", "stage = 7", 1), encoding="utf-8")
    ctx = Context(tmp_path, tmp_path, tmp_path)
    with pytest.raises(CheckFailed, match=r"smoke\.toml: .*stage must be 1, 5 or 30"):
        selftest.check_checklists(ctx)


def test_an_unexpected_error_is_a_failed_check_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "risk.toml").write_text("= nonsense", encoding="utf-8")
    result = selftest.run_check("risk", Context(tmp_path, tmp_path, tmp_path))
    assert not result.ok
    assert "TOMLDecodeError" in result.detail or "Error" in result.detail


def test_missing_migrations_are_reported(tmp_path: Path) -> None:
    ctx = Context(ROOT / "resources", tmp_path / "no-db", tmp_path)
    result = selftest.run_check("migrations", ctx)
    assert not result.ok and "env.py" in result.detail


def test_frozen_entry_runs_modules_and_subcommands(tmp_path: Path) -> None:
    """build/entry.py is what the bundle runs; `-m console ...` is how the demo relaunches itself."""
    from console import __version__

    by_module = _run([str(ROOT / "build" / "entry.py"), "-m", "console", "--version"], tmp_path, timeout=60)
    assert by_module.returncode == 0, by_module.stderr
    assert by_module.stdout.strip() == __version__
    listed = _run([str(ROOT / "build" / "entry.py"), "selftest", "--list"], tmp_path, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == list(selftest.CHECKS)
