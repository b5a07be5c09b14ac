"""Draw the application icon with Qt: resources/icons/guardian.png and build/icon.ico.

A shield (protection) with a house and a heart (elders at home), in the console's alarm red
on deep blue. Run again after changing the drawing; the outputs are committed, so a build
does not need this script. ``python build/make_icon.py``
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256)
BMP_UP_TO = 48  # small sizes as BMP entries: every Windows / NSIS icon reader takes those


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 256, size / 256)
    shield = QPainterPath()
    shield.moveTo(128, 12)
    shield.cubicTo(170, 36, 206, 42, 232, 40)
    shield.cubicTo(234, 140, 200, 206, 128, 246)
    shield.cubicTo(56, 206, 22, 140, 24, 40)
    shield.cubicTo(50, 42, 86, 36, 128, 12)
    p.setPen(QPen(QColor("#ffffff"), 10))
    p.setBrush(QBrush(QColor("#1f3b73")))
    p.drawPath(shield)
    house = QPainterPath()
    house.moveTo(128, 58)
    house.lineTo(196, 118)
    house.lineTo(178, 118)
    house.lineTo(178, 186)
    house.lineTo(78, 186)
    house.lineTo(78, 118)
    house.lineTo(60, 118)
    house.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#ffffff")))
    p.drawPath(house)
    heart = QPainterPath()
    c = QPointF(128, 170)
    heart.moveTo(c)
    heart.cubicTo(96, 146, 92, 122, 110, 116)
    heart.cubicTo(120, 113, 126, 120, 128, 126)
    heart.cubicTo(130, 120, 136, 113, 146, 116)
    heart.cubicTo(164, 122, 160, 146, 128, 170)
    p.setBrush(QBrush(QColor("#d7191c")))
    p.drawPath(heart)
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def bmp_entry(img: QImage) -> bytes:
    """BITMAPINFOHEADER + bottom-up BGRA pixels + AND mask, as an ICO entry wants."""
    w, h = img.width(), img.height()
    header = struct.pack("<IiiHHIIiiII", 40, w, h * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in range(h - 1, -1, -1):
        row = bytearray()
        for x in range(w):
            c = img.pixelColor(x, y)
            row += bytes((c.blue(), c.green(), c.red(), c.alpha()))
        rows.append(bytes(row))
    mask_row = ((w + 31) // 32) * 4
    return header + b"".join(rows) + b"\0" * (mask_row * h)


def write_ico(path: Path, images: list[QImage]) -> None:
    blobs = [bmp_entry(i) if i.width() <= BMP_UP_TO else png_bytes(i) for i in images]
    out = bytearray(struct.pack("<HHH", 0, 1, len(images)))
    offset = 6 + 16 * len(images)
    for img, blob in zip(images, blobs, strict=True):
        dim = 0 if img.width() >= 256 else img.width()
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    for blob in blobs:
        out += blob
    path.write_bytes(bytes(out))


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts/painting need it
    images = [draw(s) for s in SIZES]
    png = ROOT / "resources" / "icons" / "guardian.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    images[-1].save(str(png), "PNG")
    write_ico(ROOT / "build" / "icon.ico", images)
    print(f"wrote {png} and {ROOT / 'build' / 'icon.ico'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
