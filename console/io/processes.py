"""Child processes of a driver: ``python -m console X`` children (the demo's and training's
broker, gateway simulator, traffic, drills) started, awaited and stopped, and tied to the driver
so that none outlives it, however the driver ends (a return, Ctrl-C, an abort, SIGKILL).

How a child is tied to its parent:

* Linux: between fork and exec the child asks the kernel for SIGTERM when its parent goes
  (``PR_SET_PDEATHSIG``), then exits at once if the parent went before that (the race). The
  kernel sends it when the *thread* that forked the child ends, not the process, so children are
  started from the main thread only (``start_child`` refuses any other thread).
* Windows: every child is put in one Job object with KILL_ON_JOB_CLOSE whose only handle the
  parent holds for its whole life; when the parent ends, however it ends, Windows closes that
  handle and ends the job's processes. (A child runs for a moment before it is assigned.)
* Elsewhere: best effort, an atexit hook stops them on a normal exit (not on a kill).
* Everywhere: the atexit hook also stops, on a normal exit, any child its driver did not stop.

Each child also gets a process group of its own (Windows: CREATE_NEW_PROCESS_GROUP), so a Ctrl-C
in the terminal reaches the driver alone, which stops its children in order (the traffic first,
the broker last: ``console.bootstrap.local_run``) rather than all of them at once. The drivers
that run as children (broker, gateway, simulate, drill) take SIGTERM as their Ctrl-C: they stop
cleanly and exit.

The Linux tie runs as ``preexec_fn``, which Python warns is unsafe with threads (the child of a
fork is a copy with one thread; a lock another thread held stays locked there). This one takes
no lock: the libc function is looked up in the parent and the child makes two system calls
(prctl, getppid) and perhaps ``os._exit``, no import, no logging, no I/O.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0  # a child asked to stop (SIGTERM) gets this long before it is killed
AT_EXIT_TIMEOUT_S = 3.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h
RACE_EXIT_CODE = 3  # a child whose parent went before the tie was set exits with this, before exec

_started: list[subprocess.Popen[bytes]] = []  # children still to be stopped at exit, if running


def start_child(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m console *args`` with its output in ``log_path``, tied to this process (see the
    module's docstring). Call it from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "start_child: children are started from the main thread (on Linux a child is sent "
            "SIGTERM when the thread that started it ends)"
        )
    with open(log_path, "wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "console", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            **_tie_options(),
        )
    if sys.platform == "win32":
        _assign_to_job(proc)
    if not _started:
        atexit.register(_stop_leftovers)
    _started[:] = [p for p in _started if p.poll() is None]
    _started.append(proc)
    return proc


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    """The embedded broker in its own process (it stands for the district's broker)."""
    logp = workdir / "broker.log"
    proc = start_child(["broker", "--port", "0", "--data-dir", str(workdir / "broker")], logp)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = logp.read_text(encoding="utf-8", errors="replace") if logp.exists() else ""
            m = re.search(r"listening on ([\d.]+):(\d+)", text)
            if m:
                return proc, m.group(1), int(m.group(2))
            if proc.poll() is not None:
                raise RuntimeError(f"embedded broker failed: {text[-500:]}")
            time.sleep(0.1)
        raise RuntimeError("embedded broker did not start within 30 s")
    except BaseException:  # also Ctrl-C while waiting: the caller never got the process to stop
        stop_children([proc])
        raise


def stop_children(children: list[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop ``children`` one at a time, the last started first: SIGTERM (Windows: terminate),
    then a kill for one still running after ``timeout`` seconds."""
    for c in reversed(children):
        if c.poll() is None:
            c.terminate()
            try:
                c.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("child %s did not stop within %g s: killed", c.args, timeout)
                c.kill()
                c.wait(timeout)


@contextmanager
def stop_on_ctrl_c_and_sigterm() -> Iterator[None]:
    """For a driver's ``main``: Ctrl-C raises KeyboardInterrupt, even in a process started with
    SIGINT ignored (a script's ``&``), and SIGTERM (a parent stopping its child, Linux ending a
    child whose parent went, a service manager) does whatever Ctrl-C does at that moment, so the
    driver stops the way Ctrl-C stops it. A window's event loop quits on Ctrl-C instead
    (console.ui.shell sets that). The previous handlers come back on exit (tests call some
    drivers' ``main`` in-process); off the main thread, where Python takes no signals, it does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    before_term = signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:  # None: a handler not set from Python, which cannot be put back from here
        signal.signal(signal.SIGTERM, signal.SIG_DFL if before_term is None else before_term)
        signal.signal(signal.SIGINT, signal.default_int_handler if before_int is None else before_int)


def _stop_leftovers() -> None:
    """At a normal exit: the children no driver stopped (a crash between start and stop)."""
    left = [p for p in _started if p.poll() is None]
    if left:
        stop_children(left, AT_EXIT_TIMEOUT_S)


# --- Linux: PR_SET_PDEATHSIG ---------------------------------------------------------------------


def _tie_options() -> dict[str, Any]:
    """The Popen options that tie a child to this process, on this platform."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    options: dict[str, Any] = {"process_group": 0}
    if sys.platform.startswith("linux"):
        options["preexec_fn"] = die_with_parent(os.getpid())
    return options


@functools.cache
def _prctl() -> Callable[..., int]:
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def die_with_parent(parent: int) -> Callable[[], None]:
    """The ``preexec_fn`` run in the child between fork and exec: SIGTERM when the thread that
    forked it ends; exit at once if ``parent`` has already gone (then the child has been
    re-parented, and no signal would ever come)."""
    prctl = _prctl()  # looked up here, in the parent: the child only calls it
    sigterm = int(signal.SIGTERM)

    def tie() -> None:
        prctl(PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(RACE_EXIT_CODE)

    return tie


# --- Windows: a Job object that ends its processes when this process ends -----------------------
# The structures are declared with fixed-width types (DWORD = uint32, SIZE_T/ULONG_PTR = size_t)
# so that this module imports, and the layout can be checked, on any platform.

JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9  # JobObjectExtendedLimitInformation


class JobBasicLimits(ctypes.Structure):
    """JOBOBJECT_BASIC_LIMIT_INFORMATION."""

    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class IoCounters(ctypes.Structure):
    """IO_COUNTERS."""

    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    ]


class JobExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on 64-bit Windows)."""

    _fields_ = [
        ("BasicLimitInformation", JobBasicLimits),
        ("IoInfo", IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


_job: tuple[Any, int] | None = None  # (kernel32, the job's handle): open as long as this process


def _assign_to_job(proc: subprocess.Popen[bytes]) -> None:
    """Put ``proc`` in this process's job; if Windows refuses, the atexit hook is all there is."""
    if sys.platform != "win32":
        return
    try:
        kernel32, job = _job_object()
        handle = int(proc._handle)  # type: ignore[attr-defined, unused-ignore]  # Popen's, on Windows
        if not kernel32.AssignProcessToJobObject(job, handle):
            raise ctypes.WinError(ctypes.get_last_error())
    except OSError as exc:
        log.warning("child %s not tied to this process (Job object: %s)", proc.args, exc)


def _job_object() -> tuple[Any, int]:
    global _job
    if sys.platform != "win32":
        raise OSError("Job objects are Windows only")
    if _job is None:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p]
        kernel32.CreateJobObjectW.restype = ctypes.c_void_p
        kernel32.SetInformationJobObject.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_uint32,
        ]
        kernel32.SetInformationJobObject.restype = ctypes.c_int
        kernel32.AssignProcessToJobObject.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        kernel32.AssignProcessToJobObject.restype = ctypes.c_int
        job = kernel32.CreateJobObjectW(None, None)  # no security attributes: not inherited
        if not job:
            raise ctypes.WinError(ctypes.get_last_error())
        info = JobExtendedLimits()
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        ok = kernel32.SetInformationJobObject(
            job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS, ctypes.byref(info), ctypes.sizeof(info)
        )
        if not ok:
            raise ctypes.WinError(ctypes.get_last_error())
        _job = (kernel32, job)  # never closed: Windows closes it when this process ends
    return _job
