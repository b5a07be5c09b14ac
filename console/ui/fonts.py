"""Chinese fonts for the window and the PDF reports: the machine's own first, then the subset of
WenQuanYi Micro Hei shipped in resources/fonts, so that Chinese renders on a bare machine too.

The shipped font has a family name of its own (``SHIPPED_FAMILY``) so Qt never takes it for a
full install of WenQuanYi Micro Hei: it holds GB2312 and the console's own text, not the rare
characters a resident's name may need, which a system font may have.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Final

from PySide6.QtGui import QFont, QFontDatabase

from console.paths import resource

log = logging.getLogger(__name__)

SHIPPED_FAMILY: Final = "WenQuanYi Micro Hei Subset"  # build/subset_cjk_font.py FAMILY
SHIPPED_FILE: Final = ("fonts", "WenQuanYiMicroHei-subset.ttf")
# Installed CJK fonts, best first. Windows always has YaHei (Vista+) and SimHei.
WINDOWS_FAMILIES: Final = ("Microsoft YaHei UI", "Microsoft YaHei", "SimHei")
OTHER_FAMILIES: Final = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC")


def preferred_families(windows: bool | None = None) -> tuple[str, ...]:
    """The order to try: this platform's usual CJK fonts, then the shipped one."""
    if windows is None:
        windows = sys.platform == "win32"
    return (*(WINDOWS_FAMILIES if windows else OTHER_FAMILIES), SHIPPED_FAMILY)


def shipped_font_path() -> Path:
    return resource(*SHIPPED_FILE)


def add_font_file(path: Path) -> list[str]:
    """Add one font file to the application's font database; its families, [] on failure
    (logged as an error: Chinese then shows only if the machine has a CJK font)."""
    if not path.is_file():
        log.error("CJK font not loaded: %s does not exist; Chinese needs a system CJK font", path)
        return []
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id < 0:
        log.error("CJK font not loaded: Qt cannot read %s; Chinese needs a system CJK font", path)
        return []
    return list(QFontDatabase.applicationFontFamilies(font_id))


def register_shipped_font() -> str | None:
    """Make the shipped font available (once per application); its family, or None.

    Needs a QGuiApplication. Safe to call again: a second call finds the family present."""
    if SHIPPED_FAMILY in QFontDatabase.families():
        return SHIPPED_FAMILY
    families = add_font_file(shipped_font_path())
    if not families:
        return None
    if SHIPPED_FAMILY not in families:
        log.error("CJK font %s has families %s, expected %r", shipped_font_path(), families, SHIPPED_FAMILY)
        return families[0]
    log.debug("registered the shipped CJK font %s", SHIPPED_FAMILY)
    return SHIPPED_FAMILY


def cjk_families() -> list[str]:
    """The preferred families this application can use, best first (registers the shipped one)."""
    register_shipped_font()
    have = set(QFontDatabase.families())
    families = [f for f in preferred_families() if f in have]
    if not families:
        log.error("no CJK font: none of %s is available; Chinese will show as boxes", preferred_families())
    return families


def cjk_font(point_size: float, families: list[str] | None = None) -> QFont:
    """A font that draws Chinese: the first available CJK family, the others as fallbacks."""
    font = QFont()
    if families is None:
        families = cjk_families()
    if families:
        font.setFamilies(families)
    font.setPointSizeF(point_size)
    return font
