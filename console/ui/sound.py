"""The audible alert: plays on a new incident or a missed deadline and repeats every few
seconds while something is unacknowledged. Falls back to the system beep without audio."""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWidgets import QApplication

from console.paths import resource

REPEAT_EVERY_S = 5


class AlertSound(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plays = 0
        self.last_kind = ""
        self._since = 0
        self._effect = None
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

            if QMediaDevices.defaultAudioOutput().isNull():
                raise RuntimeError("no audio output")
            eff = QSoundEffect(self)
            eff.setSource(QUrl.fromLocalFile(str(resource("sounds", "alert.wav"))))
            self._effect = eff
        except Exception:  # noqa: BLE001 - no audio stack: beep instead
            self._effect = None

    def trigger(self, kind: str) -> None:
        self.last_kind = kind
        self._since = 0
        self._play()

    def repeat_if(self, condition: bool) -> None:
        if not condition:
            self._since = 0
            return
        self._since += 1
        if self._since >= REPEAT_EVERY_S:
            self._since = 0
            self._play()

    def _play(self) -> None:
        self.plays += 1
        if self._effect is not None:
            self._effect.play()
        else:
            QApplication.beep()
