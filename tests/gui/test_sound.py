"""The alert sound picks a backend that works on this box, or falls back to the system beep and
says why; the Qt warnings a soundless box cannot avoid do not fail a GUI test, any other does
(the ignore list is tests/fixtures/qt_noise.py; the cases are planted in runs of their own)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from console.ui.sound import BEEP_BACKEND, AlertSound, sound_server

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")


def test_sound_server_is_found_where_the_client_libraries_look(tmp_path: Path) -> None:
    empty = {"XDG_RUNTIME_DIR": str(tmp_path)}
    if not any(Path(p).exists() for p in (f"/run/user/{os.getuid()}/pulse/native", "/var/run/pulse/native")):
        assert sound_server(empty) is None
    assert sound_server({"PULSE_SERVER": "tcp:10.0.0.9"}) == "tcp:10.0.0.9"
    (tmp_path / "pipewire-0").touch()
    assert sound_server(empty) == str(tmp_path / "pipewire-0")


@pytest.mark.skipif(not LINUX, reason="the Linux sound-server check")
def test_no_sound_server_beeps_and_says_why(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PULSE_SERVER", "PIPEWIRE_REMOTE"):
        monkeypatch.delenv(name, raising=False)
    if sound_server({"XDG_RUNTIME_DIR": str(tmp_path)}) is not None:
        pytest.fail("this box has a system-wide sound server socket; the no-server case cannot be shown")
    sound = AlertSound(env={"XDG_RUNTIME_DIR": str(tmp_path)})
    assert (sound.backend, sound.why) == (BEEP_BACKEND, "no sound server (no PulseAudio or PipeWire socket)")
    sound.trigger("new_incident")
    assert (sound.plays, sound.last_kind) == (1, "new_incident")


@pytest.mark.skipif(not LINUX, reason="the Linux sound-server check")
def test_a_dead_sound_server_socket_falls_back_to_the_beep(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket file nobody listens on (a crashed PulseAudio): QtMultimedia is tried, cannot
    connect, and the alert beeps instead. Its warnings are on the ignore list; nothing else Qt
    logs here may be a warning (qt_log_level_fail), so this test fails on any new one."""
    dead = tmp_path / "pulse" / "native"
    dead.parent.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(dead))  # bound, never listening: connect() is refused
    monkeypatch.setenv("PULSE_SERVER", f"unix:{dead}")
    monkeypatch.setenv("PIPEWIRE_REMOTE", str(tmp_path / "pipewire-0"))
    sound = AlertSound()
    assert sound.backend == BEEP_BACKEND, sound.why
    sound.trigger("deadline")
    assert sound.plays == 1


PLANTED = """
from PySide6.QtCore import qWarning


def test_known_soundless_box_noise_is_not_fatal(qtbot):
    qWarning("PulseAudioService: pa_context_connect() failed")
    qWarning("Couldn't load va-drm library")


def test_any_other_qt_warning_fails(qtbot):
    qWarning("QPainter::begin: Paint device returned engine == 0")
"""


def test_only_the_listed_qt_warnings_are_forgiven(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_planted=PLANTED)
    pytester.makeini("[pytest]\nqt_api = pyside6\nqt_log_level_fail = WARNING\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    result = pytester.runpytest_subprocess("-p", "tests.fixtures.qt_noise", "-p", "no:cacheprovider", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_planted.py::test_any_other_qt_warning_fails*"])
