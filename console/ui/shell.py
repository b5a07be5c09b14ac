"""Run a shown window under the qasync event loop until the officer quits (or ``duration``)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


def run_event_loop(window: QWidget, duration: float | None = None, screenshot: Path | None = None) -> int:
    import qasync

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window.show()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    if duration:

        def finish() -> None:
            if screenshot is not None:
                window.grab().save(str(screenshot))
                print(f"screenshot saved: {screenshot}", flush=True)
            app.quit()

        QTimer.singleShot(int(duration * 1000), finish)
    with loop:
        loop.run_forever()
    return 0
