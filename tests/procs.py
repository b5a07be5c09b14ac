"""Helpers for the tests that start, kill and look for processes (psutil): whether one still runs,
waiting for a set to be gone, naming the survivors, killing them in clean-up."""

from __future__ import annotations

import psutil


def running(p: psutil.Process) -> bool:
    try:
        return bool(p.is_running() and p.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those of ``procs`` still running after ``timeout`` s (psutil.wait_procs; a zombie has gone)."""
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return [p for p in alive if running(p)]


def describe(procs: list[psutil.Process]) -> str:
    out = []
    for p in procs:
        try:
            out.append(f"{p.pid}: {' '.join(p.cmdline())[:160]}")
        except psutil.Error:
            out.append(f"{p.pid}: ?")
    return "; ".join(out)


def kill_all(procs: list[psutil.Process]) -> None:
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)
