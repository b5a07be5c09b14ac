"""The banner says when the console cannot be hearing its district (issue 18 item 2): a district
or township of the settings that no household is in, no district at all, and traffic of which
nothing is registered; in Chinese and in English, gone when the cause is."""

from __future__ import annotations

from console.app.delta import Status
from console.app.mismatch import UnmatchedReport
from console.ui.status_view import StatusView
from tests.gui.test_silent_banner import view as view  # noqa: F401 (the fixture)
from tests.support import T0

STRANGERS = UnmatchedReport(messages=57, devices=12, since=T0, registered=4000)


def status(problems: tuple[tuple[str, str], ...] = (), unmatched: UnmatchedReport | None = None) -> Status:
    return Status(
        now=T0, bus="connected", bus_since=0, journal="ok", scope_problems=problems, unmatched=unmatched
    )


def test_each_scope_problem_is_a_banner_line(view: StatusView) -> None:
    lines = view.reasons(status((("district", "500999"), ("township", "500112104"))))
    assert len(lines) == 2
    assert lines[0].startswith("WRONG DISTRICT") and "500999" in lines[0]
    assert lines[1].startswith("WRONG TOWNSHIP") and "500112104" in lines[1]
    assert view.reasons(status((("no_district", ""),)))[0].startswith("NO DISTRICT")
    assert "500112,500113" in view.reasons(status((("districts", "500112,500113"),)))[0]
    view.show(status((("district", "500999"),)))
    assert view.banner.isVisible() and "500999" in view.banner.text()
    view.show(status())
    assert not view.banner.isVisible()


def test_nothing_heard_is_registered_names_the_counts(view: StatusView) -> None:
    (line,) = view.reasons(status(unmatched=STRANGERS))
    assert line.startswith("NOTHING HEARD IS REGISTERED")
    assert "57 message(s)" in line and "12 device(s)" in line and "10:00" in line  # T0 is 10:00 +08:00


def test_in_chinese(view: StatusView, zh: None) -> None:
    (wrong,) = view.reasons(status((("district", "500999"),)))
    assert wrong.startswith("区县不符") and "500999" in wrong
    (strangers,) = view.reasons(status(unmatched=STRANGERS))
    assert strangers.startswith("收到的消息均非台账设备") and "57" in strangers and "12" in strangers
