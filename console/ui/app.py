"""QApplication set-up: environment, URL schemes for the map, translations, fonts."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from console.paths import resource
from console.ui.fonts import cjk_families, cjk_font

_translators: list[QTranslator] = []


def prepare_environment() -> None:
    if os.name != "nt" and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags:
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()


def register_schemes() -> None:
    """Custom URL schemes must be registered before the QApplication exists."""
    from console.ui.map import register_schemes as register_map_schemes

    register_map_schemes()


def install_translations(app: QApplication, locale: str) -> bool:
    """The window's language. Every widget gets a LanguageChange and words itself again
    (``retranslate``); the default locale is set first, so they read the new one."""
    if locale.startswith("en"):
        QLocale.setDefault(QLocale(QLocale.Language.English))
    else:
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    for t in _translators:
        app.removeTranslator(t)
    _translators.clear()
    if locale.startswith("en"):
        return True
    t = QTranslator(app)
    ok = t.load(str(resource("i18n", f"guardian_{locale}.qm")))
    if ok:
        app.installTranslator(t)
        _translators.append(t)
    qt = QTranslator(app)  # Qt's own strings: standard buttons, context menus
    if qt.load(f"qtbase_{locale}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _translators.append(qt)
    return ok


def pick_font(app: QApplication) -> None:
    """The window's font: the machine's CJK font, else the one shipped (console.ui.fonts).
    With neither (logged), Qt's default font stays."""
    families = cjk_families()
    if families:
        app.setFont(cjk_font(10, families))


def create_app(locale: str = "zh_CN") -> QApplication:
    prepare_environment()
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        register_schemes()
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Guardian Console")
    app.setOrganizationName("Guardian")
    install_translations(app, locale)
    pick_font(app)
    return app
