"""Chinese on a bare machine: with fontconfig shown no font directory at all, the console's own
QApplication and its PDF reports still draw Chinese, with the font shipped in resources/fonts.

Each case runs in a child process whose FONTCONFIG_FILE lists only an empty directory, so the
machine's fonts (fonts-wqy-microhei among them) are invisible. The control cases show that this
environment really has no CJK font: without the shipped one, every hanzi is the same box.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.ui.fonts import SHIPPED_FAMILY

ROOT = Path(__file__).resolve().parents[2]
LEVEL2 = bytes((0xF7, 0xFE)).decode("gb2312")  # 齄, the last hanzi of GB2312 level 2
TEXTS = {"word": "守护台", "shou": "守", "hu": "护", "tai": "台", "level2": LEVEL2, "tofu": "\ue000"}
DAY = "2026-11-02"

# The child: make the QApplication (the product's way, or a plain one), then report what Qt sees.
CHILD = r"""
import hashlib, json, sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontInfo, QFontMetrics, QImage, QPainter

mode, texts = sys.argv[1], json.loads(sys.argv[2])
if mode == "product":
    from console import bootstrap
    app = bootstrap.gui_app("zh_CN")
else:
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
font = QFont(app.font())
font.setPixelSize(32)
metrics = QFontMetrics(font)

def shot(text):
    img = QImage(160, 48, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setFont(font)
    p.setPen(QColor("black"))
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    white = QColor("white").rgb()
    ink = sum(img.pixel(x, y) != white for y in range(img.height()) for x in range(img.width()))
    return {"ink": ink, "sha": hashlib.sha256(bytes(img.constBits())).hexdigest()}

print(json.dumps({
    "families": QFontDatabase.families(),
    "app_families": app.font().families(),
    "resolved": QFontInfo(font).family(),
    "in_font": {k: all(metrics.inFontUcs4(ord(c)) for c in t) for k, t in texts.items()},
    "shots": {k: shot(t) for k, t in texts.items()},
}))
"""


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a machine with no fonts: fontconfig sees one empty directory."""
    base = tmp_path_factory.mktemp("bare-fonts")
    (base / "fonts").mkdir()
    (base / "cache").mkdir()
    conf = base / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{base / 'fonts'}</dir>\n  <cachedir>{base / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")}
    env.update(
        FONTCONFIG_FILE=str(conf),
        QT_QPA_PLATFORM="offscreen",
        GUARDIAN_DATA_DIR=str(base / "data"),
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture(scope="module")
def no_font_resources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of resources/ with the shipped font left out (GUARDIAN_RESOURCES_DIR)."""
    out = tmp_path_factory.mktemp("resources") / "resources"
    shutil.copytree(ROOT / "resources", out, ignore=shutil.ignore_patterns("fonts"))
    return out


@pytest.fixture(scope="module")
def journal_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from console.benches.kpi import synthetic_journal
    from console.io.store import SqlStore
    from console.sim.district import generate

    db = tmp_path_factory.mktemp("cjk-report") / "journal.sqlite"
    reg = generate(seed=7, households=30)
    store = SqlStore(f"sqlite:///{db}")
    try:
        store.save_register(reg)
        month = synthetic_journal(reg, store.journal, days=3, alarms_per_day=4, silent_share=0.05)
        assert month.refused == []
    finally:
        store.close()
    return db


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _qt_facts(env: dict[str, str], mode: str) -> tuple[dict[str, Any], str]:
    done = _run(env, "-c", CHILD, mode, json.dumps(TEXTS))
    return json.loads(done.stdout), done.stderr


def _daily_report(env: dict[str, str], db: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``python -m console report daily``: the CLI starts its own QGuiApplication."""
    return _run(env, "-m", "console", "report", "daily", "--date", DAY, "--db", str(db), "--out", str(out))


def _pdf_fonts(pdf: Path) -> list[str]:
    return [m.decode() for m in re.findall(rb"/(?:FontName|BaseFont)\s*/([^\s/<>\[\]()]+)", pdf.read_bytes())]


def test_control_the_bare_environment_has_no_cjk_font(bare_env: dict[str, str]) -> None:
    """Without the console's registration nothing draws hanzi: each is the same box."""
    facts, _ = _qt_facts(bare_env, "plain")
    assert SHIPPED_FAMILY not in facts["families"]
    assert not [f for f in facts["families"] if re.search("WenQuanYi|CJK|Han|Hei|Song", f)], facts["families"]
    assert not any(facts["in_font"].values()), facts["in_font"]
    shots = facts["shots"]
    assert shots["shou"]["sha"] == shots["hu"]["sha"] == shots["level2"]["sha"] == shots["tofu"]["sha"]


def test_the_console_app_draws_chinese_with_the_shipped_font(bare_env: dict[str, str]) -> None:
    facts, stderr = _qt_facts(bare_env, "product")  # bootstrap.gui_app, as make demo does
    assert "CJK font not loaded" not in stderr
    assert SHIPPED_FAMILY in facts["families"]
    assert facts["app_families"][0] == SHIPPED_FAMILY  # the only CJK font here, so the first
    assert facts["resolved"] == SHIPPED_FAMILY
    in_font = facts["in_font"]
    assert in_font["word"] and in_font["level2"] and not in_font["tofu"], in_font
    shots = facts["shots"]
    hanzi = ["shou", "hu", "tai", "level2"]
    # Real glyphs differ from each other and from the box a missing character gets.
    assert len({shots[k]["sha"] for k in [*hanzi, "tofu"]}) == len(hanzi) + 1
    assert shots["word"]["ink"] > 2 * sum(shots[k]["ink"] for k in ["shou", "hu", "tai"]) / 3
    assert all(shots[k]["ink"] > shots["tofu"]["ink"] for k in hanzi), shots


def test_a_missing_font_file_is_logged_and_the_app_still_starts(
    bare_env: dict[str, str], no_font_resources: Path
) -> None:
    env = {**bare_env, "GUARDIAN_RESOURCES_DIR": str(no_font_resources)}
    facts, stderr = _qt_facts(env, "product")
    missing = no_font_resources / "fonts" / "WenQuanYiMicroHei-subset.ttf"
    assert f"CJK font not loaded: {missing} does not exist" in stderr
    assert SHIPPED_FAMILY not in facts["families"]
    assert not facts["in_font"]["word"]


def test_pdf_report_embeds_the_shipped_font(
    bare_env: dict[str, str], journal_db: Path, tmp_path: Path, qapp: Any
) -> None:
    from PySide6.QtPdf import QPdfDocument

    out = tmp_path / "daily.pdf"
    _daily_report(bare_env, journal_db, out)
    names = _pdf_fonts(out)
    assert any("WenQuanYi" in n for n in names), names
    assert any(re.fullmatch(r"[A-Z]{6}\+WenQuanYiMicroHeiSubset", n) for n in names), names  # a subset
    doc = QPdfDocument(None)
    try:
        assert doc.load(str(out)) == QPdfDocument.Error.None_
        assert f"守护台日报 {DAY}" in doc.getAllText(0).text()
    finally:
        doc.close()


def test_control_pdf_without_the_shipped_font_embeds_no_cjk_font(
    bare_env: dict[str, str], journal_db: Path, no_font_resources: Path, tmp_path: Path
) -> None:
    env = {**bare_env, "GUARDIAN_RESOURCES_DIR": str(no_font_resources)}
    out = tmp_path / "daily.pdf"
    done = _daily_report(env, journal_db, out)
    assert "CJK font not loaded" in done.stderr
    assert not [n for n in _pdf_fonts(out) if "WenQuanYi" in n]
