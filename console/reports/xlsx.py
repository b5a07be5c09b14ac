"""Reports as XLSX (openpyxl): the same numbers as the PDF, one sheet per table, numbers as
numbers (shares as fractions with a % format) so the center can chart and sum them. The labels
go through console.ui.words (Qt's translator only: no QApplication needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from console.app.kpi_defs import AGE_BUCKETS, AGE_OVER, missed_marks
from console.domain.incident import Incident
from console.reports.data import REPORT_LOCALE, ReportData, when
from console.ui import words

PCT = "0.0%"


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    for col in ws.columns:
        width = max(len(str(c.value or "")) for c in col)
        ws.column_dimensions[col[0].column_letter].width = min(60, max(8, width * 1.6))
    return ws


def _pct_cols(ws: Worksheet, *cols: int) -> None:
    for row in ws.iter_rows(min_row=2):
        for i in cols:
            row[i - 1].number_format = PCT


def summary_rows(data: ReportData) -> list[list[Any]]:
    """(key, label, value) rows; tests read values back by key."""
    k = data.kpis
    rows: list[list[Any]] = [
        ["report", "报告", words.report_title(data.kind, data.label)],
        ["period_start", "区间开始", when(k.start)],
        ["period_end", "区间结束", when(k.end)],
        ["as_of", "数据截至", when(k.now)],
        ["records", "日志记录", k.records],
        ["alarms", "报警", k.alarms],
        ["incidents", "事件", k.incidents],
        ["closed", "已闭环", k.closed],
        ["closure_rate", "闭环率", k.closure_rate],
    ]
    for m in k.marks:
        rows.append([f"mark_{m.minute}_share", f"{m.minute}分钟达标率", m.share])
        rows.append([f"mark_{m.minute}_met", f"{m.minute}分钟达标数", m.met])
        rows.append([f"mark_{m.minute}_decided", f"{m.minute}分钟应考核", m.decided])
    if k.alert is not None:
        rows.append(["accepted_1_share", "1分钟内服务商受理率", k.alert.accepted_share])
        rows.append(["delivered_1_share", "1分钟内送达率", k.alert.delivered_share])
    rows += [
        ["dispatch_median_s", "派遣用时中位（秒）", k.dispatch.median_s],
        ["dispatch_p90_s", "派遣用时P90（秒）", k.dispatch.p90_s],
        ["closure_median_s", "闭环用时中位（秒）", k.closure.median_s],
        ["closure_p90_s", "闭环用时P90（秒）", k.closure.p90_s],
        ["devices", "登记设备", k.devices],
        ["online", "在线设备", k.online],
        ["online_rate", "在线率", k.online_rate],
        ["open_tickets", "未关闭工单", k.open_tickets],
        ["tickets_overdue", "超期工单", k.tickets_overdue],
        ["open_incidents", "未关闭事件", len(k.open_incidents)],
        ["missed_incidents", "超时事件", len(k.missed)],
    ]
    return rows


def _incident_row(data: ReportData, i: Incident) -> list[Any]:
    return [
        i.id,
        data.township(i.township),
        i.household,
        words.kind(i.kind),
        words.report_state(i.state),
        when(i.opened),
        ",".join(str(m) for m in missed_marks(i, data.kpis.now)),
        i.cause and words.cause(i.cause),
    ]


INCIDENT_HEAD = [
    "事件 Incident",
    "镇街 Township",
    "户 Household",
    "类型 Kind",
    "状态 State",
    "接警 Opened",
    "超时 Missed",
    "原因 Cause",
]


def write_xlsx(data: ReportData, path: Path, locale: str = REPORT_LOCALE) -> Path:
    with words.in_locale(locale):
        return _write(data, path)


def _write(data: ReportData, path: Path) -> Path:
    k = data.kpis
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    ws = _sheet(wb, "概况 Summary", ["key", "指标", "数值"], summary_rows(data))
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value).endswith(("_share", "_rate")):
            row[2].number_format = PCT
    if data.kind == "handover":
        _sheet(wb, "未关闭 Open", INCIDENT_HEAD, [_incident_row(data, i) for i in data.open_incidents])
        _sheet(
            wb,
            "本班 Shift",
            INCIDENT_HEAD,
            [_incident_row(data, i) for i in sorted(data.shift_incidents, key=lambda i: i.id)],
        )
        _sheet(
            wb,
            "交接 Handovers",
            ["时间", "交班", "接班", "备注"],
            [[when(h.at), h.from_operator, h.to_operator, h.note] for h in data.handovers],
        )
    _sheet(
        wb,
        "类型 Kinds",
        ["kind", "类型", "报警 Alarms", "事件 Incidents"],
        [
            [kd, words.kind(kd), k.alarms_by_kind.get(kd, 0), k.incidents_by_kind.get(kd, 0)]
            for kd in k.alarms_by_kind
        ],
    )
    ws = _sheet(
        wb,
        "每日 Daily",
        ["日期 Date", *[words.kind(kd) for kd in k.daily], "在线率 Online"],
        [[d, *[k.daily[kd][i] for kd in k.daily], k.online_daily[i]] for i, d in enumerate(k.days)],
    )
    _pct_cols(ws, len(k.daily) + 2)
    ws = _sheet(
        wb,
        "镇街 Townships",
        [
            "code",
            "镇街",
            "报警",
            "事件",
            "1分钟",
            "5分钟",
            "30分钟",
            "已闭环",
            "闭环率",
            "派遣中位(秒)",
            "设备",
            "在线",
            "在线率",
            "工单",
        ],
        [
            [
                t.code,
                t.name,
                t.alarms,
                t.incidents,
                *[m.share for m in t.marks],
                t.closed,
                t.closure_rate,
                t.dispatch.median_s,
                t.devices,
                t.online,
                t.online_rate,
                t.open_tickets,
            ]
            for t in k.townships
        ],
    )
    _pct_cols(ws, 5, 6, 7, 9, 13)
    _sheet(
        wb,
        "原因 Causes",
        ["cause", "原因", "事件"],
        [[c, words.cause(c), n] for c, n in k.causes.items()],
    )
    ages = [name for name, _ in AGE_BUCKETS] + [AGE_OVER]
    _sheet(
        wb,
        "工单 Tickets",
        ["分组 Group", "数量 Count"],
        [[f"账龄 {a}", k.tickets_by_age.get(a, 0)] for a in ages]
        + [[f"类型 {words.report_ticket(t)}", n] for t, n in k.tickets_by_kind.items()],
    )
    _sheet(wb, "超时事件 Missed", INCIDENT_HEAD, [_incident_row(data, i) for i in data.missed])
    _sheet(
        wb,
        "超时时间线 Timelines",
        ["事件 Incident", "时间 Time", "事项 What", "详情 Detail", "人员 Who"],
        [[i.id, when(e.at), e.what, e.detail, e.who] for i in data.missed for e in i.timeline],
    )
    wb.save(path)
    return path
