"""``python -m console SUBCOMMAND``; first of all the crash log, so no process dies silently.

A fatal signal (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL: a memory-mapped journal file that
cannot be written ends the process by SIGBUS) runs no Python code: ``faulthandler`` writes the
Python tracebacks of every thread to ``crash-<time>-<pid>.log`` in the data dir while the
process dies. faulthandler writes to one file only, so stderr hears of it at the next start of
any console subcommand, which names the file (renamed ``crashed-…``: said once). A process
that ends normally removes its empty crash file.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import sys
import time
from pathlib import Path
from typing import IO

_crash_file: IO[str] | None = None  # kept open for faulthandler until the process ends


def enable_crash_log(folder: Path | None = None) -> Path | None:
    """Dump tracebacks to a crash file in ``folder`` (the data dir) on a fatal signal; report the
    crash files of earlier processes that died. Falls back to stderr when no file can be made."""
    global _crash_file
    try:
        if folder is None:
            from console.paths import data_dir

            folder = data_dir()
        _report_earlier(folder)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        _crash_file = path.open("w", encoding="utf-8")
    except OSError as exc:
        if sys.stderr is not None:
            print(f"console: no crash file ({exc}); fatal errors go to stderr", file=sys.stderr)
            faulthandler.enable(file=sys.stderr, all_threads=True)
        return None
    faulthandler.enable(file=_crash_file, all_threads=True)
    atexit.register(_remove_if_empty, path)
    return path


def _remove_if_empty(path: Path) -> None:
    global _crash_file
    if _crash_file is None:
        return
    faulthandler.disable()
    _crash_file.close()
    _crash_file = None
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


def _report_earlier(folder: Path) -> None:
    """Each crash file of another process: written to (that process died of a fatal signal):
    said on stderr and renamed ``crashed-…``; empty, its process gone (killed, say): removed."""
    for path in sorted(folder.glob("crash-*-*.log")):
        try:
            pid = int(path.stem.rsplit("-", 1)[1])
            size = path.stat().st_size
        except (ValueError, OSError):
            continue
        if pid == os.getpid():
            continue
        if size > 0:
            kept = path.with_name("crashed-" + path.name.removeprefix("crash-"))
            try:
                first = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0]
                path.replace(kept)
            except (OSError, IndexError):
                continue
            if sys.stderr is not None:
                print(
                    f"console: an earlier console process died: {first} (details in {kept})", file=sys.stderr
                )
        elif not _alive(pid):
            try:
                path.unlink()
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap, harmless check on Windows: an empty file is left
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    enable_crash_log()
    from console.cli import main

    raise SystemExit(main())
