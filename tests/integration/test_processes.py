"""console.io.processes: a driver's children are tied to it. Killed outright, the parent takes
them with it (Linux: PR_SET_PDEATHSIG, Windows: a kill-on-close Job object); a child whose
parent went before the tie was set exits at once; only the main thread starts children."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from console.io import processes
from tests.fixtures.brokers import Lines, wait_until
from tests.procs import kill_all, running, wait_gone

ROOT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")

# A parent that starts the embedded broker through start_broker, says the broker's pid, then
# waits for its stdin to close (it never does: the test kills it first).
PARENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from console.io.processes import start_broker
    proc, host, port = start_broker(Path(sys.argv[1]))
    print(f"child {proc.pid}", flush=True)
    sys.stdin.read()
    """
)


def test_a_killed_parent_takes_its_child_with_it(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    out = Lines(parent.stdout)
    child: psutil.Process | None = None
    try:
        line = wait_until(
            lambda: next((ln for ln in out.lines if ln.startswith("child ")), None) or out.ended,
            60,
            "the parent to start the broker",
            on=out.changes,
        )
        assert isinstance(line, str), out.text()
        child = psutil.Process(int(line.split()[1]))
        assert child.ppid() == parent.pid and running(child)
        if sys.platform != "win32":  # its own process group: a terminal's Ctrl-C is the parent's alone
            assert os.getpgid(child.pid) == child.pid != os.getpgid(parent.pid)

        parent.kill()  # SIGKILL (Windows: TerminateProcess): no clean-up code of the parent runs
        parent.wait(10)
        assert wait_gone([child], 15) == [], f"the broker {child.pid} outlived its killed parent"
        if sys.platform != "win32":  # asked with SIGTERM, so it stopped cleanly
            assert "broker: stopped" in (tmp_path / "broker.log").read_text()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        if parent.stdin is not None:
            parent.stdin.close()
        out.join(10)
        if child is not None and running(child):
            kill_all([child])


@pytest.mark.skipif(not LINUX, reason="Linux only: PR_SET_PDEATHSIG")
def test_linux_tie_asks_for_sigterm_when_the_parent_dies() -> None:
    show = "import ctypes; s = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(s)); print(s.value)"
    tie = processes.die_with_parent(os.getpid())
    out = subprocess.run(
        [sys.executable, "-c", show], preexec_fn=tie, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == 15  # PR_GET_PDEATHSIG: SIGTERM
    untied = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, timeout=60)
    assert int(untied.stdout) == 0  # the check can tell


@pytest.mark.skipif(not LINUX, reason="Linux only: PR_SET_PDEATHSIG")
def test_linux_child_whose_parent_went_before_the_tie_exits_at_once() -> None:
    # The child sees a parent other than the one that started it: as after the parent died
    # between fork and prctl, when the child was re-parented and no signal will ever come.
    tie = processes.die_with_parent(os.getppid())
    gone = subprocess.run(
        [sys.executable, "-c", "print('ran')"], preexec_fn=tie, capture_output=True, timeout=60
    )
    assert gone.returncode == processes.RACE_EXIT_CODE and gone.stdout == b""
    kept = subprocess.run(
        [sys.executable, "-c", "print('ran')"],
        preexec_fn=processes.die_with_parent(os.getpid()),
        capture_output=True,
        timeout=60,
    )
    assert kept.returncode == 0 and kept.stdout.strip() == b"ran"


def test_children_are_started_from_the_main_thread_only(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            processes.start_child(["--version"], tmp_path / "version.log")
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    t = threading.Thread(target=start)
    t.start()
    t.join(30)
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError), errors
    assert "main thread" in str(errors[0])
    assert not (tmp_path / "version.log").exists()  # refused before anything started


def test_the_job_limit_structure_has_the_windows_layout() -> None:
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION as Windows lays it out (checked on every platform)."""
    wide = ctypes.sizeof(ctypes.c_void_p) == 8
    assert ctypes.sizeof(processes.JobExtendedLimits) == (144 if wide else 112)
    assert processes.JobBasicLimits.LimitFlags.offset == 16
    assert processes.JobExtendedLimits.IoInfo.offset == (64 if wide else 48)


@pytest.mark.skipif(sys.platform != "win32", reason="Windows-only: the Job object")
def test_windows_child_is_in_a_kill_on_close_job(tmp_path: Path) -> None:
    proc, _, _ = processes.start_broker(tmp_path)
    try:
        kernel32: Any = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined, unused-ignore]
        kernel32.IsProcessInJob.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        kernel32.QueryInformationJobObject.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_void_p,
        ]
        _, job = processes._job_object()
        inside = ctypes.c_int()
        assert kernel32.IsProcessInJob(int(proc._handle), job, ctypes.byref(inside))  # type: ignore[attr-defined, unused-ignore]
        assert inside.value
        info = processes.JobExtendedLimits()
        assert kernel32.QueryInformationJobObject(
            job,
            processes.JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
            ctypes.byref(info),
            ctypes.sizeof(info),
            None,
        )
        assert info.BasicLimitInformation.LimitFlags & processes.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    finally:
        processes.stop_children([proc])
