"""Nothing left behind: ``demo`` and ``training`` leave no broker, gateway, simulator or drill
running, whether they are killed (SIGKILL: no clean-up code of theirs runs), stopped with Ctrl-C
or SIGTERM (in the window or while starting), or fail to start (no Qt platform plugin); ``run``
fails the same way without leaving anything.

Every process a driver starts inherits a marker in its environment, so whatever outlives the
driver is found by the marker, re-parented or not; whatever is found is killed in the test's
clean-up (and fails the test).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.procs import describe, running, wait_gone

ROOT = Path(__file__).resolve().parents[2]
MARK = "GUARDIAN_TEST_ORPHAN_MARK"
POSIX = sys.platform != "win32"
posix_signals = pytest.mark.skipif(not POSIX, reason="POSIX signals (Ctrl-C / SIGTERM to one process)")


@dataclass(frozen=True)
class Kind:
    """A driver: its arguments and the children it starts, each with the log line that says it
    is up (broker.log, gateway.log … in its work dir)."""

    args: tuple[str, ...]
    children: dict[str, str]


DRIVERS = {
    "demo": Kind(
        ("demo", "--households", "300"),
        {"broker": "listening on", "gateway": "listening on", "simulate": "simulate: "},
    ),
    # This drill lasts 240 s at speed 1: it is still publishing when the test ends the run.
    "training": Kind(
        ("training", "--households", "300", "--scenario", "electrical_fault_at_night"),
        {"broker": "listening on", "drill": "drill: "},
    ),
}


class Driver:
    """``python -m console ...`` with its output in a file, every process it starts marked."""

    def __init__(self, tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> None:
        self.mark = uuid.uuid4().hex
        self.workdir = tmp_path / "work"
        self.out_path = tmp_path / "driver.out"
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "GUARDIAN_DATA_DIR": str(tmp_path / "data")}
        full_env.update(env or {})
        full_env[MARK] = self.mark
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "console", *args],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
            )

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """Re-check ``predicate`` (it reads log files) until it holds; the pause between looks
        is a bounded wait on the driver itself, which ends at once if the driver exits."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{what}: the driver exited with {self.proc.returncode}\n{self.output()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:g} s waiting for {what}\n{self.output()[-3000:]}"
                )
            try:
                self.proc.wait(0.1)
            except subprocess.TimeoutExpired:
                pass

    def descendants(self) -> list[psutil.Process]:
        try:
            return list(psutil.Process(self.proc.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            return []

    def console_children(self) -> dict[str, psutil.Process]:
        """The driver's ``python -m console SUB`` children, by SUB."""
        found: dict[str, psutil.Process] = {}
        for p in self.descendants():
            try:
                cmd = p.cmdline()
            except psutil.Error:
                continue
            for i in range(len(cmd) - 2):
                if cmd[i] == "-m" and cmd[i + 1] == "console":
                    found[cmd[i + 2]] = p
        return found

    def marked(self) -> list[psutil.Process]:
        """Every live process (but this one) carrying this driver's marker."""
        found = []
        for p in psutil.process_iter():
            if p.pid == os.getpid():
                continue
            try:
                if p.environ().get(MARK) == self.mark and running(p):
                    found.append(p)
            except psutil.Error:  # gone, a zombie, or not ours to read
                continue
        return found

    def clean_up(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        left = self.marked()
        for p in left:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(left, timeout=10)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Driver]]:
    drivers: list[Driver] = []

    def make(args: list[str], env: dict[str, str] | None = None) -> Driver:
        d = Driver(tmp_path, args, env)
        drivers.append(d)
        return d

    yield make
    for d in drivers:
        d.clean_up()


def start_kind(start: Callable[..., Driver], name: str, tmp_path: Path) -> Driver:
    return start([*DRIVERS[name].args, "--workdir", str(tmp_path / "work")])


def wait_running(d: Driver, name: str) -> dict[str, psutil.Process]:
    """Until the driver's window is up and each of its children said it is up: its children."""
    kind = DRIVERS[name]
    d.wait_for(lambda: all(line in d.log(c) for c, line in kind.children.items()), 120, "the children up")
    d.wait_for(lambda: f"{name}: ready" in d.output(), 120, "the window up")
    children = d.console_children()
    assert set(children) == set(kind.children), describe(d.descendants())
    return children


@pytest.mark.parametrize("name", list(DRIVERS))
def test_killed_driver_leaves_no_child(start: Callable[..., Driver], tmp_path: Path, name: str) -> None:
    d = start_kind(start, name, tmp_path)
    wait_running(d, name)
    everything = d.descendants()  # the children above, and Qt WebEngine's helpers
    d.proc.kill()  # SIGKILL (Windows: TerminateProcess)
    d.proc.wait(30)
    survivors = wait_gone(everything, 20)
    assert survivors == [], f"outlived the killed {name}: {describe(survivors)}"
    assert d.marked() == [], describe(d.marked())


def stopped_cleanly(d: Driver, name: str) -> None:
    """Each child said it stopped, the traffic before the broker went (all it sent, acknowledged)
    and the console before it too (its bus saw no broker drop: bus.py logs each as MqttError)."""
    assert "MqttError" not in d.output(), d.output()[-3000:]
    for child in DRIVERS[name].children:
        assert "Traceback" not in d.log(child), d.log(child)
    assert "broker: stopped" in d.log("broker")
    if name == "demo":
        assert "gateway: stopped" in d.log("gateway")
        line = next(ln for ln in d.log("simulate").splitlines() if ln.startswith("summary: "))
        summary = json.loads(line.removeprefix("summary: "))
        assert summary["interrupted"] is True and summary["published"] == summary["acked"] > 0
    else:
        line = next(ln for ln in d.log("drill").splitlines() if ln.startswith("drill: published"))
        sent, acked = (int(w.strip(",")) for w in line.split() if w.strip(",").isdigit())
        assert sent == acked > 0, line


@posix_signals
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("name", list(DRIVERS))
def test_stopped_driver_stops_its_children_and_exits_0(
    start: Callable[..., Driver], tmp_path: Path, name: str, sig: signal.Signals
) -> None:
    d = start_kind(start, name, tmp_path)
    wait_running(d, name)
    everything = d.descendants()
    os.kill(d.proc.pid, sig)  # to the driver alone, as a terminal's Ctrl-C now is (see processes)
    assert d.proc.wait(60) == 0, d.output()[-3000:]
    assert "Traceback" not in d.output(), d.output()[-3000:]
    assert wait_gone(everything, 10) == [], describe(wait_gone(everything, 0))
    assert d.marked() == [], describe(d.marked())
    stopped_cleanly(d, name)


@posix_signals
def test_ctrl_c_while_the_demo_starts_stops_what_had_started(
    start: Callable[..., Driver], tmp_path: Path
) -> None:
    # The full district (30,000 households) takes seconds to build: the Ctrl-C comes while it does.
    d = start(["demo", "--workdir", str(tmp_path / "work")])
    d.wait_for(lambda: "listening on" in d.log("broker"), 120, "the broker up")
    broker = d.console_children()["broker"]
    os.kill(d.proc.pid, signal.SIGINT)
    assert d.proc.wait(60) == 0, d.output()[-3000:]
    assert "demo: interrupted, stopped" in d.output() and "Traceback" not in d.output(), d.output()[-3000:]
    assert wait_gone([broker], 10) == []
    assert "broker: stopped" in d.log("broker")
    assert d.marked() == [], describe(d.marked())


@pytest.mark.parametrize("name", ["demo", "training", "run"])
def test_driver_without_a_qt_platform_fails_before_starting_anything(
    start: Callable[..., Driver], tmp_path: Path, name: str
) -> None:
    args = [*DRIVERS[name].args, "--workdir", str(tmp_path / "work")] if name in DRIVERS else [name]
    d = start(args, env={"QT_QPA_PLATFORM": "nosuchplatform"})
    seen: list[psutil.Process] = []

    def ended() -> bool:  # while it lives, note every process it starts
        seen.extend(d.descendants())
        return d.proc.poll() is not None

    d.wait_for(ended, 60, "the failure")  # Qt aborts it (qFatal) when the QApplication is made
    assert d.proc.returncode != 0
    assert "nosuchplatform" in d.output(), d.output()[-3000:]  # it failed for the reason meant
    assert wait_gone(seen, 10) == [] and d.marked() == [], describe(seen + d.marked())
    assert not (tmp_path / "work" / "broker.log").exists(), "a child was started before the QApplication"
