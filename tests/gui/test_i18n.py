"""The zh_CN translation: compiled, complete, installed at start, switchable, and readable on screen.

The console's default locale is zh_CN, so an untranslated string or a missing CJK font is
something every duty officer sees; these tests check the shipped .ts/.qm and the font.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
from PySide6.QtGui import QColor, QFontInfo, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from console.paths import resource
from console.ui.app import install_translations
from console.ui.fonts import cjk_families, cjk_font

ROOT = Path(__file__).resolve().parents[2]
TS = resource("i18n", "guardian_zh_CN.ts")
QM = resource("i18n", "guardian_zh_CN.qm")
SCRIPT = ROOT / "build" / "update_translations.py"
# Qt %1..%99, %n, %v (QProgressBar), Python %s/%d, and str.format {name} fields.
PLACEHOLDER = re.compile(r"%L?\d+|%[nsdv]|\{\w*\}")


def _messages() -> list[tuple[str, ET.Element]]:
    root = ET.parse(TS).getroot()
    assert root.get("language") == "zh_CN" and root.get("sourcelanguage") == "en"
    return [(ctx.findtext("name") or "", m) for ctx in root.iter("context") for m in ctx.iter("message")]


def _forms(message: ET.Element) -> list[str]:
    tr = message.find("translation")
    assert tr is not None
    if message.get("numerus") == "yes":
        return [f.text or "" for f in tr.iter("numerusform")]
    return [tr.text or ""]


def test_qm_loads_and_holds_messages() -> None:
    t = QTranslator()
    assert t.load(str(QM)), f"{QM} does not load"
    assert not t.isEmpty()
    assert t.language() == "zh_CN"
    assert t.translate("words", "Acknowledged") == "已确认"


def test_every_message_has_a_translation_with_the_same_placeholders() -> None:
    msgs = _messages()
    assert len(msgs) > 150  # the whole UI, not a sample
    problems = []
    for ctx, m in msgs:
        source = m.findtext("source") or ""
        tr = m.find("translation")
        forms = _forms(m)
        if tr is None or tr.get("type") in ("unfinished", "obsolete", "vanished"):
            problems.append(f"{ctx}: {source!r} is {tr.get('type') if tr is not None else 'missing'}")
        elif m.get("numerus") == "yes" and len(forms) != 1:
            problems.append(f"{ctx}: {source!r} needs exactly one plural form in Chinese, has {len(forms)}")
        for form in forms:
            if not form.strip():
                problems.append(f"{ctx}: {source!r} has an empty translation")
            elif Counter(PLACEHOLDER.findall(form)) != Counter(PLACEHOLDER.findall(source)):
                problems.append(f"{ctx}: {source!r} -> {form!r} changes the placeholders")
            elif form == source and re.search("[A-Za-z]{3}", source):
                problems.append(f"{ctx}: {source!r} is left in English")
    assert not problems, "\n".join(problems)


def test_translations_are_up_to_date_with_the_ui_sources() -> None:
    """A new tr() string anywhere in console/ui must be extracted and translated before commit."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (
        f"run `python build/update_translations.py` and translate:\n{done.stdout}{done.stderr}"
    )


class MainWindow(QWidget):
    """Stands in for the real one: ``self.tr`` resolves in the context named after the class."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Guardian Console"))
        self.queue_tab = self.tr("Alarm queue")
        self.tickets_tab = self.tr("Maintenance (%n)", "", 3)


def test_zh_cn_translates_words_windows_plurals_and_the_map(zh: QApplication, qtbot: Any) -> None:
    from console.ui import words
    from console.ui.login import LoginDialog
    from console.ui.map.page import default_labels

    assert QCoreApplication.translate("words", "Acknowledged") == "已确认"
    assert words.state("closed") == "已闭环"
    assert words.role("grid_worker") == "网格员"
    assert words.group("state_supported") == "特困供养"
    assert words.refusal("out_of_order", "S2") == "请先完成以下步骤： S2"
    assert words.kind("no_such_kind") == "no_such_kind"  # unknown codes pass through

    win = MainWindow()
    qtbot.addWidget(win)
    assert win.windowTitle() == "守护台"
    assert win.queue_tab == "警情队列"
    assert win.tickets_tab == "运维工单（3）"
    from console.ui.status_view import StatusView

    pending = StatusView("live").tr("JOURNAL NOT WRITABLE — %n event(s) held in memory", "", 12)
    assert pending == "日志无法写入 — 12 条事件暂存于内存"

    login = LoginDialog(lambda _user, _password: None)
    qtbot.addWidget(login)
    assert login.windowTitle() == "守护台 — 登录"

    labels = default_labels()
    assert labels["legend"] == "住户风险分级"
    assert labels["critical"] == "危急（警情未闭环）"
    assert QLocale().language() == QLocale.Language.Chinese


def test_english_switch_restores_the_source_strings(zh: QApplication, qtbot: Any) -> None:
    from console.ui import words

    assert words.state("acknowledged") == "已确认"
    assert install_translations(zh, "en")
    assert QCoreApplication.translate("words", "Acknowledged") == "Acknowledged"
    assert words.state("acknowledged") == "Acknowledged"
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.queue_tab == "Alarm queue"
    assert win.tickets_tab == "Maintenance (3)"
    assert QLocale().language() == QLocale.Language.English
    assert install_translations(zh, "zh_CN")  # and back again
    assert words.state("acknowledged") == "已确认"


def test_chinese_text_renders_with_a_cjk_font(zh: QApplication, qtbot: Any) -> None:
    """The window's CJK font (the machine's, else the shipped one) draws the translated text."""
    families = cjk_families()
    assert families, "no CJK font, not even the one shipped in resources/fonts"
    text = QCoreApplication.translate("words", "Acknowledged") + "：" + "独居老人 烟感报警"
    font = cjk_font(24, families)
    font.setPixelSize(24)
    assert QFontInfo(font).family() == families[0]
    metrics = QFontMetrics(font)
    assert all(metrics.inFontUcs4(ord(ch)) for ch in text if not ch.isspace()), "glyphs missing from the font"

    label = QLabel(text)
    label.setFont(font)
    label.setStyleSheet("background: white; color: black;")
    label.adjustSize()
    qtbot.addWidget(label)
    image = label.grab().toImage()
    assert image.width() > 0 and image.height() > 0
    background = QColor("white").rgb()
    inked = sum(
        1 for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) != background
    )
    # Each CJK glyph at 24 px inks well over 20 pixels; a blank or single-box rendering does not.
    assert inked > 20 * len(text), f"only {inked} non-background pixels for {len(text)} characters"

    # Missing glyphs draw as identical boxes; real ones differ from each other.
    shots = []
    for ch in "独居":
        one = QLabel(ch)
        one.setFont(font)
        one.setStyleSheet("background: white; color: black;")
        one.adjustSize()
        qtbot.addWidget(one)
        shots.append(one.grab().toImage())
    assert shots[0].size() == shots[1].size() and shots[0] != shots[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_translations", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_extraction_finds_what_lupdate_alone_misses(tmp_path: Path) -> None:
    ui = tmp_path / "console" / "ui"
    ui.mkdir(parents=True)
    (ui / "w.py").write_text(
        "from PySide6.QtCore import QCoreApplication\n"
        "def _t(text):\n"
        '    return QCoreApplication.translate("words", text)\n'
        "def labels():\n"
        "    tr = QCoreApplication.translate\n"
        '    return [tr("MapPage", "High risk"), _t("Smoke")]\n'
        "class Panel:\n"
        "    def show(self, n, dyn):\n"
        "        return [f\"<b>{self.tr('missed')}</b>\", self.tr('%n left', '', n), self.tr(dyn)]\n",
        encoding="utf-8",
    )
    found = _script().scan(ui, tmp_path)
    got = {(m.context, m.source, m.numerus, m.line) for m in found.messages}
    assert got == {
        ("MapPage", "High risk", False, 6),
        ("words", "Smoke", False, 6),
        ("Panel", "missed", False, 9),
        ("Panel", "%n left", True, 9),
    }
    assert found.problems == ["console/ui/w.py:9: tr(): text is not a string literal"]


def test_reports_word_codes_in_their_own_locale_whatever_the_window_shows(qapp: QApplication) -> None:
    from console.ui import words

    saved = QLocale()
    assert install_translations(qapp, "en")
    try:
        with words.in_locale("zh_CN"):
            assert words.report_title("monthly", "2026-11") == "守护台月报 2026-11"
            assert (words.report_state("closed"), words.state("closed")) == ("已关闭", "已闭环")
            assert (words.report_ticket("tamper"), words.ticket("tamper")) == ("防拆", "防拆报警")
            assert words.report_state("new") == "新建"
            assert (words.kind("co"), words.cause("test")) == ("一氧化碳", "测试")
        assert words.state("closed") == "Closed"  # the window's language is left alone
        with words.in_locale("en"):
            assert words.report_title("daily", "2026-11-03") == "Guardian daily report 2026-11-03"
    finally:
        QLocale.setDefault(saved)
