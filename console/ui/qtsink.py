"""Engine -> UI: deltas cross threads as a queued Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from console.app.delta import Delta


class QtSink(QObject):
    delta = Signal(object)

    def deliver(self, delta: Delta) -> None:  # called in the engine thread
        self.delta.emit(delta)
