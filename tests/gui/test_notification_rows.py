"""The incident panel's notifications: a row says how long the gateway has said nothing of it
("no receipt after N s", counting every second), then what the provider said (#22)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.domain import events as ev
from console.ui.app import install_translations
from console.ui.incident_panel import IncidentPanel
from tests.unit.helpers import NS, T0, alarm, login, publish, world


class Clock:
    def __init__(self) -> None:
        self.ns = T0

    def __call__(self) -> int:
        return self.ns


def rows(panel: IncidentPanel) -> list[tuple[str, str]]:
    t = panel.notes
    return [(t.item(r, 1).text(), t.item(r, 3).text()) for r in range(t.rowCount())]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_row_counts_the_seconds_without_a_receipt_then_shows_the_providers_answer(
    qtbot: QtBot, qapp: QApplication, lang: str
) -> None:
    if lang == "zh_CN":
        assert install_translations(qapp, "zh_CN")
    try:
        w = world()
        login(w, T0 - NS)
        reqs = publish(w, w.apply(alarm("H1-smoke", T0)), T0)
        inc = w.incidents[next(iter(w.incidents))]
        clock = Clock()
        panel = IncidentPanel(w.register, w.templates, lambda e: None, lambda: ("op", "c1"), now=clock)
        qtbot.addWidget(panel)
        clock.ns = T0 + 5 * NS
        panel.show_incident(inc)
        handed = "Handed to gateway" if lang == "en" else "已提交网关"
        assert {s for _, s in rows(panel)} == {handed}
        clock.ns = T0 + 20 * NS
        panel.tick()
        late = "No receipt after 20 s" if lang == "en" else "无回执，已 20 秒"
        assert {s for _, s in rows(panel)} == {late}
        clock.ns = T0 + 21 * NS
        panel.tick()
        assert {s for _, s in rows(panel)} == {late.replace("20", "21")}
        w.apply(ev.NotifyReceipt(at=T0 + 22 * NS, req=reqs[0], status="accepted", provider="aliyun"))
        panel.show_incident(inc)
        first = rows(panel)[0][1]
        assert first == ("Accepted by the provider · aliyun" if lang == "en" else "服务商已受理 · aliyun")
        clock.ns = T0 + (22 + 120) * NS
        panel.tick()
        assert rows(panel)[0][1] == (
            "Accepted, no delivery receipt after 120 s · aliyun"
            if lang == "en"
            else "已受理，无送达回执，已 120 秒 · aliyun"
        )
    finally:
        install_translations(qapp, "en")


def test_why_a_notification_failed_or_was_blocked_is_said_in_words(qtbot: QtBot) -> None:
    from console.ui import words

    assert words.delivery_detail("provider:aliyun:isv.BUSINESS_LIMIT_CONTROL") == (
        "refused by aliyun (isv.BUSINESS_LIMIT_CONTROL)"
    )
    assert words.delivery_detail("limit:aliyun:minute,limit:tencent:day") == (
        "sending limit of aliyun per number (a minute), sending limit of tencent per number (a day)"
    )
    assert (
        words.delivery_detail("template:address:too_long") == "the address does not fit the approved template"
    )
    assert words.delivery_detail("invalid_number") == "not a valid phone number"
