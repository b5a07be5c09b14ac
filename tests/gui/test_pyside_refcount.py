"""PySide6 6.12.0 on CPython 3.11 drops a reference to None on every void Qt call; a qasync
app then aborts with ``none_dealloc``. Tens of thousands of void calls must leave None alone."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer


def test_void_calls_do_not_leak_none_references(qapp: object) -> None:
    timer = QTimer()
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(25_000):
        timer.start(60_000)  # void
        timer.stop()  # void
        obj.setObjectName("x")  # void
    after = sys.getrefcount(None)
    # On an immortal-None interpreter (3.12+) both are the same constant; on 3.11 a leak of one
    # reference per call would show as a drop of ~75,000.
    assert before - after < 1_000, f"None refcount fell by {before - after}"
