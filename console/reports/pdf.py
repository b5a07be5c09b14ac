"""Reports as PDF: HTML laid out by QTextDocument, printed by QPdfWriter (A4), Chinese text in
the first CJK font the machine has, else the one shipped with the console (console.ui.fonts;
the PDF embeds whichever it uses). Needs a QGuiApplication (``ensure_gui_app``)."""

from __future__ import annotations

import itertools
import os
import sys
from html import escape
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QMarginsF, QRectF, QUrl
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from console.app.kpi_defs import AGE_BUCKETS, AGE_OVER, missed_marks
from console.domain.incident import Incident
from console.reports.data import REPORT_LOCALE, ReportData, mins, pct, when
from console.ui import fonts, words

MAX_TIMELINES: Final = 60  # a month can miss hundreds; the PDF stays printable, the XLSX has all
# The order tried (this platform's CJK fonts, then the shipped one); write_pdf uses those present.
CJK_FAMILIES: Final = list(fonts.preferred_families())
KIND_COLOURS: Final = {"smoke": "#d9480f", "co": "#5f3dc4", "gas": "#1971c2", "electric": "#e8a200"}
CSS: Final = """
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 10px; }
table { border-collapse: collapse; } th { background: #e9ecef; }
td, th { padding: 2px 5px; font-size: 8pt; }
.small { font-size: 7pt; color: #495057; } .bad { color: #c92a2a; }
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table border="1" cellspacing="0" width="100%"><tr>{head}</tr>{body}</table>'


def _daily_chart(data: ReportData) -> QImage:
    """Alarms per day by kind, stacked bars; the online rate as a line (right scale 0-100%)."""
    k = data.kpis
    w, h, pad = 1400, 360, 40
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    try:
        n = max(1, len(k.days))
        totals = [sum(k.daily[kind][i] for kind in k.daily) for i in range(len(k.days))]
        top = max([1, *totals])
        bw = (w - 2 * pad) / n
        for i in range(len(k.days)):
            y = h - pad
            for kind, series in k.daily.items():
                v = series[i]
                bh = (h - 2 * pad) * v / top
                p.fillRect(
                    QRectF(pad + i * bw + 2, y - bh, bw - 4, bh), QColor(KIND_COLOURS.get(kind, "#868e96"))
                )
                y -= bh
        p.setPen(QColor("#2b8a3e"))
        pts = [(i, r) for i, r in enumerate(k.online_daily) if r is not None]
        for (i0, r0), (i1, r1) in itertools.pairwise(pts):
            p.drawLine(
                int(pad + (i0 + 0.5) * bw),
                int(h - pad - (h - 2 * pad) * r0),
                int(pad + (i1 + 0.5) * bw),
                int(h - pad - (h - 2 * pad) * r1),
            )
        p.setPen(QColor("#343a40"))
        p.drawLine(pad, h - pad, w - pad, h - pad)
        p.drawText(4, pad - 10, f"max {top}")
    finally:
        p.end()
    return img


def _timeline(inc: Incident) -> str:
    rows = [[escape(when(e.at)), escape(e.what), escape(e.detail[:80]), escape(e.who)] for e in inc.timeline]
    return _table(["时间 Time", "事项 What", "详情 Detail", "人员 Who"], rows)


def html_of(data: ReportData) -> str:
    k = data.kpis
    parts = [f"<h1>{escape(words.report_title(data.kind, data.label))}</h1>"]
    parts.append(
        f'<p class="small">统计区间 {escape(when(k.start))} — {escape(when(k.end))}（北京时间）；'
        f"数据截至 {escape(when(k.now))}；日志记录 {k.records:,} 条</p>"
    )
    summary = [
        ["报警 Alarms", str(k.alarms)],
        ["事件 Incidents", str(k.incidents)],
        ["已闭环 Closed", f"{k.closed}（{pct(k.closure_rate)}）"],
        *[
            [
                f"{m.minute}分钟达标 {m.minute}-min met",
                f"{pct(m.share)}（{m.met}/{m.decided}，待定 {m.pending}）",
            ]
            for m in k.marks
        ],
        *(
            [
                [
                    "1分钟内服务商受理 Accepted within 1 min",
                    f"{pct(k.alert.accepted_share)}（{k.alert.accepted}/{k.alert.decided}）",
                ],
                [
                    "1分钟内送达 Delivered within 1 min",
                    f"{pct(k.alert.delivered_share)}（{k.alert.delivered}/{k.alert.decided}）",
                ],
            ]
            if k.alert is not None
            else []
        ),
        ["派遣用时 中位/P90（分）Dispatch", f"{mins(k.dispatch.median_s)} / {mins(k.dispatch.p90_s)}"],
        ["闭环用时 中位/P90（分）Closure", f"{mins(k.closure.median_s)} / {mins(k.closure.p90_s)}"],
        ["设备在线率 Devices online", f"{pct(k.online_rate)}（{k.online}/{k.devices}）"],
        ["未关闭工单 Open tickets", f"{k.open_tickets}（超期 {k.tickets_overdue}）"],
        ["未关闭事件 Open incidents", str(len(k.open_incidents))],
    ]
    parts.append("<h2>概况 Summary</h2>" + _table(["指标 Measure", "数值 Value"], summary))
    if data.kind == "handover":
        parts.append(_handover(data))
    parts.append(
        "<h2>按类型 By kind</h2>"
        + _table(
            ["类型 Kind", "报警 Alarms", "事件 Incidents"],
            [
                [words.kind(kd), str(k.alarms_by_kind.get(kd, 0)), str(k.incidents_by_kind.get(kd, 0))]
                for kd in k.alarms_by_kind
            ],
        )
    )
    if data.kind == "monthly" and k.days:
        parts.append(
            '<h2>每日报警与在线率 Daily alarms and online rate</h2><img src="chart://daily" width="640">'
        )
    if data.kind != "handover" and len(k.days) > 1:
        rows = [
            [d, *[str(k.daily[kd][i]) for kd in k.daily], pct(k.online_daily[i])]
            for i, d in enumerate(k.days)
        ]
        parts.append(
            "<h2>每日 Daily</h2>"
            + _table(["日期 Date", *[words.kind(kd) for kd in k.daily], "在线率 Online"], rows)
        )
    trows = [
        [
            escape(t.name),
            str(t.alarms),
            str(t.incidents),
            *[pct(m.share) for m in t.marks],
            pct(t.closure_rate),
            mins(t.dispatch.median_s),
            pct(t.online_rate),
            str(t.open_tickets),
        ]
        for t in k.townships
    ]
    parts.append(
        "<h2>镇街对比 Townships</h2>"
        + _table(
            ["镇街", "报警", "事件", "1分钟", "5分钟", "30分钟", "闭环率", "派遣中位(分)", "在线率", "工单"],
            trows,
        )
    )
    parts.append(
        "<h2>原因 Causes</h2>"
        + _table(["原因 Cause", "事件 Incidents"], [[words.cause(c), str(n)] for c, n in k.causes.items()])
    )
    ages = [name for name, _ in AGE_BUCKETS] + [AGE_OVER]
    parts.append(
        "<h2>维护工单 Maintenance tickets</h2>"
        + _table(["账龄 Age", *ages], [["工单 Tickets", *[str(k.tickets_by_age.get(a, 0)) for a in ages]]])
        + _table(
            ["类型 Kind", "数量 Count"],
            [[words.report_ticket(t), str(n)] for t, n in k.tickets_by_kind.items()],
        )
    )
    parts.append(f"<h2>超时事件 Incidents that missed a deadline（{len(data.missed)}）</h2>")
    if len(data.missed) > MAX_TIMELINES:
        parts.append(
            f'<p class="small">此处列出前 {MAX_TIMELINES} 起的时间线，全部 {len(data.missed)} 起见同期 XLSX 报告'
            f"（Timelines of the first {MAX_TIMELINES}; the XLSX report lists all）。</p>"
        )
    for inc in data.missed[:MAX_TIMELINES]:
        parts.append(
            f"<p><b>事件 {inc.id}</b> {escape(data.township(inc.township))} {escape(inc.household)} "
            f"{escape(words.kind(inc.kind))} 接警 {escape(when(inc.opened))} "
            f'<span class="bad">超时：{"、".join(f"{m}分钟" for m in _missed(data, inc))}</span> '
            f"原因 {escape(words.cause(inc.cause or '—'))}</p>" + _timeline(inc)
        )
    return "<html><head><style>" + CSS + "</style></head><body>" + "".join(parts) + "</body></html>"


def _missed(data: ReportData, inc: Incident) -> list[int]:
    return missed_marks(inc, data.kpis.now)


def _handover(data: ReportData) -> str:
    def row(i: Incident) -> list[str]:
        return [
            str(i.id),
            escape(data.township(i.township)),
            escape(i.household),
            escape(words.kind(i.kind)),
            escape(words.report_state(i.state)),
            escape(when(i.opened)),
            "、".join(f"{m}分钟" for m in _missed(data, i)) or "—",
        ]

    head = ["事件", "镇街", "户", "类型", "状态", "接警时间", "超时"]
    out = f"<h2>未关闭事件 Open incidents（{len(data.open_incidents)}）</h2>"
    out += _table(head, [row(i) for i in data.open_incidents])
    out += f"<h2>本班事件 This shift（{len(data.shift_incidents)}）</h2>"
    out += _table(head, [row(i) for i in sorted(data.shift_incidents, key=lambda i: i.id)])
    if data.handovers:
        out += "<h2>交接记录 Handovers</h2>" + _table(
            ["时间", "交班", "接班", "备注"],
            [
                [when(h.at), escape(h.from_operator), escape(h.to_operator), escape(h.note)]
                for h in data.handovers
            ],
        )
    return out


def write_pdf(data: ReportData, path: Path, locale: str = REPORT_LOCALE) -> Path:
    with words.in_locale(locale):
        html, title = html_of(data), words.report_title(data.kind, data.label)
    doc = QTextDocument()
    doc.setDefaultFont(fonts.cjk_font(9))
    if data.kind == "monthly":
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("chart://daily"), _daily_chart(data))
    doc.setHtml(html)
    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setCreator("Guardian Console")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(12, 12, 12, 12),
            QPageLayout.Unit.Millimeter,
        )
    )
    doc.print_(writer)
    return path


def ensure_gui_app() -> Any:
    """QTextDocument needs a QGuiApplication; headless runs get the offscreen platform."""
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication([sys.argv[0] if sys.argv else "console"])
    return app
