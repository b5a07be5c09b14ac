"""The audible alert: plays on a new incident or a missed deadline and repeats every few
seconds while something is unacknowledged.

The backend is chosen once, at start (``AlertSound.backend``, ``AlertSound.why``):
- ``QtMultimedia`` (the alert.wav) where it can play: on Windows and macOS always tried; on
  Linux only when a sound server is reachable (PipeWire or PulseAudio socket), because Qt's
  audio there is a PulseAudio/PipeWire client — without a server it would only log warnings;
- the system beep everywhere else (a workstation without audio, a headless box, a missing
  QtMultimedia). The choice and its reason are logged once.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWidgets import QApplication

from console.paths import resource

log = logging.getLogger(__name__)

REPEAT_EVERY_S = 5
QT_BACKEND = "QtMultimedia"
BEEP_BACKEND = "beep"


def sound_server(env: dict[str, str] | None = None) -> str | None:
    """Where a Linux sound server listens (a PulseAudio or PipeWire socket), or None.

    The places the servers' own client libraries look: $PULSE_SERVER, $PIPEWIRE_REMOTE,
    $XDG_RUNTIME_DIR/{pulse/native,pipewire-0}, /run/user/<uid>/..., the system-wide Pulse socket.
    """
    env = dict(os.environ) if env is None else env
    if env.get("PULSE_SERVER"):
        return env["PULSE_SERVER"]
    if env.get("PIPEWIRE_REMOTE"):
        return env["PIPEWIRE_REMOTE"]
    runtime_dirs = [env.get("XDG_RUNTIME_DIR", "")]
    if hasattr(os, "getuid"):
        runtime_dirs.append(f"/run/user/{os.getuid()}")
    candidates = [Path(d) / name for d in runtime_dirs if d for name in ("pulse/native", "pipewire-0")]
    candidates.append(Path("/var/run/pulse/native"))
    for path in candidates:
        if path.exists():
            return str(path)
    return None


class AlertSound(QObject):
    def __init__(self, parent: QObject | None = None, *, env: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self.plays = 0
        self.last_kind = ""
        self._since = 0
        self._effect = None
        self.backend, self.why = BEEP_BACKEND, ""
        try:
            self._effect = self._qt_effect(env)
            self.backend = QT_BACKEND
            self.why = "audio output found"
            log.info("alert sound: %s (alert.wav)", QT_BACKEND)
        except Exception as exc:  # noqa: BLE001 - any failure of the audio stack: beep instead
            self.why = str(exc) or type(exc).__name__
            log.warning("alert sound: system beep, because %s", self.why)

    def _qt_effect(self, env: dict[str, str] | None) -> QObject:
        if sys.platform.startswith("linux") and sound_server(env) is None:
            raise RuntimeError("no sound server (no PulseAudio or PipeWire socket)")
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

        if QMediaDevices.defaultAudioOutput().isNull():
            raise RuntimeError("no audio output device")
        eff = QSoundEffect(self)
        eff.setSource(QUrl.fromLocalFile(str(resource("sounds", "alert.wav"))))
        return eff

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
            self._effect.play()  # type: ignore[attr-defined]
        else:
            QApplication.beep()
