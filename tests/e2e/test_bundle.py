"""The frozen Linux bundle, built by build/build_linux_bundle.sh: within the size budget, its own
self-test passes, it runs subcommands and modules, and the NSIS installer script compiles
against it. Building takes minutes, so this runs only with GUARDIAN_BUNDLE_TEST=1."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "build" / "dist" / "GuardianConsole"

pytestmark = [
    pytest.mark.skipif(os.environ.get("GUARDIAN_BUNDLE_TEST") != "1", reason="set GUARDIAN_BUNDLE_TEST=1"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle build"),
    pytest.mark.skipif(shutil.which("makensis") is None, reason="needs makensis (Debian package nsis)"),
    pytest.mark.timeout(1500),
]


@pytest.fixture(scope="module")
def build_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    env = dict(os.environ)
    env["NSIS_FAST"] = os.environ.get("NSIS_FAST", "1")  # the script is checked either way
    proc = subprocess.run(
        [str(ROOT / "build" / "build_linux_bundle.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def _frozen(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        GUARDIAN_DATA_DIR=str(tmp_path / "data"),
        QT_QPA_PLATFORM="offscreen",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu",
    )
    return subprocess.run(
        [str(BUNDLE / "GuardianConsole"), *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_bundle_within_budget_and_selftest_passed(build_output: str) -> None:
    from console.diagnostics import selftest

    size = re.search(r"^BUNDLE_SIZE=(\d+)MB$", build_output, re.M)
    assert size is not None and int(size.group(1)) <= 450, build_output[-2000:]
    assert "SELFTEST=PASS" in build_output
    assert "selftest (frozen bundle): 15 checks" in build_output
    for name in selftest.CHECKS:
        assert re.search(rf"^PASS  {re.escape(name)} ", build_output, re.M), name


def test_installer_compiled(build_output: str) -> None:
    m = re.search(r"^INSTALLER=(\S+) (\d+) bytes$", build_output, re.M)
    assert m is not None, build_output[-2000:]
    exe = Path(m.group(1))
    assert exe.is_file() and exe.stat().st_size == int(m.group(2)) > 50_000_000
    assert exe.read_bytes()[:2] == b"MZ"


def test_frozen_bundle_runs_subcommands_and_modules(build_output: str, tmp_path: Path) -> None:
    from console import __version__

    assert _frozen(["--version"], tmp_path).stdout.strip() == __version__
    # How the demo starts its broker / gateway / simulator children from a frozen build.
    relaunch = _frozen(["-m", "console", "--version"], tmp_path)
    assert relaunch.returncode == 0 and relaunch.stdout.strip() == __version__
    journal = tmp_path / "j.sqlite"
    verify = _frozen(["audit", "verify", "--db", str(journal)], tmp_path)
    assert verify.returncode == 2 and "no journal" in verify.stderr  # a clear message, not a traceback
    # Locales were pruned to Chinese and English only.
    locales = BUNDLE / "_internal" / "PySide6" / "Qt" / "translations" / "qtwebengine_locales"
    assert sorted(p.name for p in locales.iterdir()) == ["en-US.pak", "zh-CN.pak"]
