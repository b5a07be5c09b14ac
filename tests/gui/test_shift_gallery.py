"""The shift gallery regenerates with one command and shows each scene (not a blank grab)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from console.entry.shift_shots import SCENES

ROOT = Path(__file__).resolve().parents[2]


def test_screenshots_shift_writes_every_scene(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "console", "screenshots", "--shift", "--locale", "en", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for scene in SCENES:
        png = tmp_path / "shift" / "en" / f"{scene}.png"
        img = QImage(str(png))
        assert not img.isNull(), scene
        colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
        assert len(colours) > 8, f"{scene} looks blank"
