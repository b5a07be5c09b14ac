"""The shipped CJK font (resources/fonts): present with its licence, holding every character the
console shows, registered once, tried after the machine's own CJK fonts, and a failure to load
it logged rather than raised. (Rendering on a machine with no fonts: tests/integration/test_cjk_font.py.)
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QRawFont
from PySide6.QtWidgets import QApplication

from console.ui import fonts
from console.ui.app import pick_font

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build" / "subset_cjk_font.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("subset_cjk_font", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app_font(qapp: QApplication) -> Iterator[QApplication]:
    """Put the application's font back after a test that sets it."""
    saved = QFont(qapp.font())
    yield qapp
    qapp.setFont(saved)


def test_the_font_ships_small_with_its_licence() -> None:
    path = fonts.shipped_font_path()
    assert path.is_file()
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a single TrueType font, not a collection
    assert path.stat().st_size < 2_500_000
    licence = (path.parent / "LICENSE-WenQuanYi.txt").read_text(encoding="utf-8")
    assert "WenQuanYi" in licence and "Apache License" in licence and "Version 2.0" in licence


def test_the_shipped_font_has_every_character_the_console_shows(qapp: QApplication, tmp_path: Path) -> None:
    """A new non-GB2312 character in a translation or a resource needs the subset regenerated.

    (Characters go to QRawFont as code points: PySide6 turns a non-ASCII str into the wrong QChar.)"""
    script = _script()
    raw = QRawFont(str(fonts.shipped_font_path()), 16)
    assert raw.isValid() and raw.familyName() == fonts.SHIPPED_FAMILY == script.FAMILY
    gb = script.gb2312()
    assert len([c for c in gb if "\u4e00" <= c <= "\u9fff"]) == 6763  # both GB2312 levels
    assert all(raw.supportsCharacter(ord(c)) for c in gb)
    if not script.SOURCE.exists():
        pytest.fail(
            f"{script.SOURCE} absent, so what the subset lacks cannot be told: Debian package "
            "fonts-wqy-microhei (build/system_packages.sh test installs it)",
            pytrace=False,
        )
    source = QRawFont(str(script.SOURCE), 16)  # the .ttc's first face, the proportional one
    assert source.isValid() and source.familyName() == script.SOURCE_FAMILY
    used = script.used_chars()
    assert "守" in used and "闭" in used  # the scan finds the console's text
    assert "\u2212" in used  # and Leaflet's zoom-out button, written "&#x2212;" in leaflet.js
    # ... and would see a rare name character (GBK, not GB2312) added to a sample or a string:
    (tmp_path / "console").mkdir()
    (tmp_path / "console" / "x.py").write_text('NAME = "王堃"\n', encoding="utf-8")
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "s.csv").write_text("赟\n", encoding="utf-8")
    assert {"堃", "赟"} <= script.used_chars(tmp_path)
    assert source.supportsCharacter(ord("堃")) and not raw.supportsCharacter(ord("堃"))
    missing = sorted(
        c for c in used if source.supportsCharacter(ord(c)) and not raw.supportsCharacter(ord(c))
    )
    assert not missing, f"not in the shipped font: {''.join(missing)}; run python build/subset_cjk_font.py"


def test_registering_is_idempotent_and_gives_the_shipped_family(qapp: QApplication) -> None:
    assert fonts.register_shipped_font() == fonts.SHIPPED_FAMILY
    assert fonts.SHIPPED_FAMILY in QFontDatabase.families()
    assert fonts.register_shipped_font() == fonts.SHIPPED_FAMILY
    f = QFont(fonts.SHIPPED_FAMILY)
    f.setPixelSize(20)
    assert QFontInfo(f).family() == fonts.SHIPPED_FAMILY


def test_installed_fonts_come_first_and_the_shipped_one_last() -> None:
    win = fonts.preferred_families(windows=True)
    assert win[:3] == ("Microsoft YaHei UI", "Microsoft YaHei", "SimHei")
    assert win[-1] == fonts.SHIPPED_FAMILY
    other = fonts.preferred_families(windows=False)
    assert other[-1] == fonts.SHIPPED_FAMILY
    assert {"WenQuanYi Micro Hei", "Noto Sans CJK SC"} <= set(other[:-1])
    assert fonts.preferred_families() == (win if sys.platform == "win32" else other)


def test_the_window_font_is_the_first_available_cjk_family(app_font: QApplication) -> None:
    pick_font(app_font)
    have = set(QFontDatabase.families())
    expected = [f for f in fonts.preferred_families() if f in have]
    assert expected[-1] == fonts.SHIPPED_FAMILY  # registered by pick_font
    assert app_font.font().families() == expected
    assert app_font.font().pointSize() == 10


def test_a_font_that_cannot_be_loaded_is_logged(
    qapp: QApplication, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = tmp_path / "broken.ttf"
    garbage.write_bytes(b"not a font at all" * 10)
    with caplog.at_level(logging.ERROR, logger="console.ui.fonts"):
        assert fonts.add_font_file(tmp_path / "absent.ttf") == []
        assert fonts.add_font_file(garbage) == []
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("absent.ttf does not exist" in m for m in messages), messages
    assert any("cannot read" in m and "broken.ttf" in m for m in messages), messages


def test_the_pdf_report_uses_the_same_families(qapp: QApplication) -> None:
    from console.reports import pdf

    assert pdf.CJK_FAMILIES == list(fonts.preferred_families())
    assert fonts.cjk_font(9).families() == fonts.cjk_families()
    assert fonts.SHIPPED_FAMILY in fonts.cjk_font(9).families()
