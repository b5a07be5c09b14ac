"""The leak guard (tests/fixtures/leaks.py) fails a test that leaves a thread, a child process or a
running QTimer behind, names the thing, and does not blame a test for what a wider-scoped fixture
started. Each case is planted in a pytest run of its own (pytester, in a subprocess)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

PLANTED = '''
import subprocess
import sys
import threading

import pytest

KEEP = []  # the planted leftovers stay referenced: no ResourceWarning muddles the run


def test_leaks_a_thread():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="planted-thread", daemon=True)
    t.start()
    KEEP.append(t)


def test_thread_that_is_just_finishing_is_fine():
    threading.Thread(target=sum, args=(range(200_000),), name="finishing").start()


def test_leaks_a_child_process():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()  # planted-child"], stdin=subprocess.PIPE
    )
    KEEP.append(child)  # it ends when this run ends and its stdin closes


def test_child_waited_for_is_fine():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.fixture(scope="session")
def shared():
    """Like the shared broker: a thread for the whole session, stopped at its end."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="shared-broker")
    t.start()
    yield t
    stop.set()
    t.join()


@pytest.fixture
def via_request(request):
    """Like journal_db_url: a function fixture that asks for the session one by name."""
    return request.getfixturevalue("shared")


def test_first_user_of_a_session_thread_is_not_blamed(via_request):
    assert via_request.is_alive()


def test_later_user_of_a_session_thread_is_not_blamed(shared):
    assert shared.is_alive()
'''

SLOPPY_MODULE = """
import threading

import pytest

STOP = threading.Event()


@pytest.fixture(scope="module")
def sloppy():
    t = threading.Thread(target=STOP.wait, name="sloppy-module-thread", daemon=True)
    t.start()
    yield t  # and never stopped


def test_uses_sloppy_a(sloppy):
    pass


def test_uses_sloppy_b(sloppy):
    pass
"""

QT_TIMERS = """
from PySide6.QtCore import QObject, QTimer

KEEP = []


def test_leaves_a_timer_running(qapp):
    t = QTimer()
    t.start(60_000)
    KEEP.append(t)


def test_leaves_a_single_shot_pending(qapp):
    QTimer.singleShot(60_000, lambda: None)


def test_leaves_a_parented_timer_running(qapp):
    owner = QObject()
    t = QTimer(owner)
    t.setInterval(45_000)
    t.start()
    KEEP.append(owner)


def test_stopped_and_fired_timers_are_fine(qapp, qtbot):
    t = QTimer()
    t.start(10)
    t.stop()
    fired = []
    QTimer.singleShot(0, lambda: fired.append(True))
    qtbot.waitUntil(lambda: fired == [True])
    dropped = QTimer()
    dropped.start(60_000)
    dropped.deleteLater()  # deleted with its C++ object: not running any more
    qapp.sendPostedEvents(None, 52)  # QEvent.DeferredDelete
"""


def line_of(source: str, text: str) -> int:
    """The line number ``text`` has in ``source`` as pytester writes it (dedented, stripped)."""
    return source.strip("\n").splitlines().index(text) + 1


def run_planted(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, **files: str) -> pytest.RunResult:
    pytester.makepyfile(**files)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("TESTS_LEAK_GRACE_S", "0.5")  # each planted leak waits this long, in vain
    return pytester.runpytest_subprocess("-p", "tests.fixtures.leaks", "-p", "no:cacheprovider", "-ra")


def test_guard_names_a_leftover_thread_and_child_and_spares_session_fixtures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_planted(pytester, monkeypatch, test_planted=PLANTED)
    result.assert_outcomes(passed=6, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_leaks_a_thread left 1 thing(s) running after its tear-down:",
            "*- thread 'planted-thread' running threading.Event.wait (daemon=True)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_leaks_a_child_process left 1 thing(s) running after its tear-down:",
            f"*- child process *: {sys.executable} -c import sys; sys.stdin.read()  # planted-child",
        ]
    )
    errors = [line for line in result.stdout.lines if line.startswith("ERROR ")]
    assert len(errors) == 2, errors
    assert all("test_leaks_a_thread" in e or "test_leaks_a_child_process" in e for e in errors), errors


def test_guard_reports_a_module_fixture_that_outlives_its_teardown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_planted(pytester, monkeypatch, test_sloppy=SLOPPY_MODULE)
    result.assert_outcomes(passed=2, errors=1)  # not at its first user: at its own tear-down
    result.stdout.fnmatch_lines(
        [
            "*test_uses_sloppy_b left 1 thing(s) running after its tear-down:",
            "*- thread 'sloppy-module-thread' running * (set up by the module-scoped fixture 'sloppy')",
        ]
    )


def test_guard_names_a_running_qtimer(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("PySide6.QtCore", reason="PySide6 not installed here")
    pytest.importorskip("pytestqt", reason="pytest-qt not installed here")
    result = run_planted(pytester, monkeypatch, test_timers=QT_TIMERS)
    result.assert_outcomes(passed=4, errors=3)
    single_shot = line_of(QT_TIMERS, "    QTimer.singleShot(60_000, lambda: None)")
    result.stdout.fnmatch_lines(
        [
            "*test_leaves_a_timer_running left 1 thing(s) running after its tear-down:",
            f"*- running QTimer (60000 ms) started at */test_timers.py:{line_of(QT_TIMERS, '    t.start(60_000)')}"
            " in test_leaves_a_timer_running",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_leaves_a_single_shot_pending left 1 thing(s) running after its tear-down:",
            f"*- running QTimer (60000 ms, single-shot) started at */test_timers.py:{single_shot}"
            " in test_leaves_a_single_shot_pending",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_leaves_a_parented_timer_running left 1 thing(s) running after its tear-down:",
            f"*- running QTimer (45000 ms) started at */test_timers.py:{line_of(QT_TIMERS, '    t.start()')}"
            " in test_leaves_a_parented_timer_running",
        ]
    )
