"""MapView against a real QtWebEngine page: load, recolour in place, click, scope, search."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from console.domain import geo
from console.domain.registry import Area, Household, Register
from console.ui.map.page import BAND_COLOURS


@pytest.fixture
def district(map_factory: Any, load_map: Any, sim_register: Any) -> Any:
    view = map_factory()
    codes = list(sim_register.households)
    bands = {codes[i]: "high" for i in range(0, len(codes), 40)}
    load_map(view, sim_register, bands)
    return view


def _red_near(img: Any, x: int, y: int, r: int = 4) -> bool:
    want = QColor(BAND_COLOURS["critical"])
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            c = img.pixelColor(x + dx, y + dy)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 40:
                return True
    return False


def test_loads_offline_with_counts_and_no_errors(district: Any, sim_register: Any) -> None:
    counts = district.last_counts
    assert counts["total"] == len(sim_register) == 2000
    assert counts["bands"]["high"] == 50
    assert counts["bands"]["low"] == 1950
    assert sum(t["total"] for t in counts["townships"].values()) == 2000
    assert district.guard.blocked_urls == []
    assert district.guard.passed > 0  # the interceptor really saw the page's requests
    assert district.js_errors == []
    page_dir = district.page_path.parent
    assert "SIM-" not in district.page_path.read_text(encoding="utf-8")  # households are not baked in
    assert (page_dir / "households.js").stat().st_size > 100_000


def test_set_bands_recolours_without_reload(
    district: Any, run_js: Any, qtbot: Any, sim_register: Any
) -> None:
    code = list(sim_register.households)[1]  # index 0 is "high" in the fixture
    before = run_js(district, f"GC.markerInfo({code!r})")
    assert before["band"] == "low" and not before["pulsing"]
    loads, load_id = district.load_count, run_js(district, "GC.loadId")
    results: list[dict[str, Any]] = []
    with qtbot.waitSignal(district.counts, timeout=5000) as counted:
        district.set_bands({code: "critical"}, done=results.append)
    qtbot.waitUntil(lambda: bool(results))
    assert results[0]["applied"] == 1
    assert counted.args[0]["bands"]["critical"] == 1
    after = run_js(district, f"GC.markerInfo({code!r})")
    assert after["band"] == "critical"
    assert after["fillColor"] == BAND_COLOURS["critical"]
    assert after["pulsing"] is True
    assert district.load_count == loads
    assert run_js(district, "GC.loadId") == load_id
    # ... and it is really painted red where the household is.
    run_js(district, f"GC.centerOn({code!r})")
    pos = run_js(district, f"GC.markerInfo({code!r})")
    qtbot.waitUntil(lambda: _red_near(district.grab().toImage(), int(pos["x"]), int(pos["y"])), timeout=5000)


def test_unknown_band_and_unknown_code_are_counted(district: Any, qtbot: Any) -> None:
    results: list[dict[str, Any]] = []
    district.set_bands({"NOPE-1": "high", "NOPE-2": "burning"}, done=results.append)
    qtbot.waitUntil(lambda: bool(results))
    assert district.rejected_bands == 1
    assert results[0]["unknown"] == 1 and district.unknown_codes == 1


def test_click_on_marker_emits_household(district: Any, run_js: Any, qtbot: Any) -> None:
    code = run_js(district, "GC.search('SIM-')")[0]["code"]  # selects and centres the first match
    pos = run_js(district, f"GC.markerInfo({code!r})")
    target = district.view.focusProxy()
    with qtbot.waitSignal(district.householdClicked, timeout=5000) as clicked:
        QTest.mouseClick(
            target,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            QPoint(int(pos["x"]), int(pos["y"])),
        )
    assert clicked.args == [code]


def test_scope_shows_one_township_only(
    map_factory: Any, load_map: Any, run_js: Any, sim_register: Any
) -> None:
    township = sim_register.townships()[0].code
    inside = [h.code for h in sim_register.households.values() if h.township == township]
    outside = next(h.code for h in sim_register.households.values() if h.township != township)
    view = map_factory()
    load_map(view, sim_register, {}, scope=township)
    assert view.last_counts["total"] == len(inside) > 0
    assert list(view.last_counts["townships"]) == [township]
    assert run_js(view, f"GC.markerInfo({outside!r})") is None
    assert run_js(view, f"GC.markerInfo({inside[0]!r})")["shown"] is True


def test_filter_by_band_and_group(district: Any, run_js: Any, qtbot: Any) -> None:
    with qtbot.waitSignal(district.counts, timeout=5000) as counted:
        district.set_filter(bands=["high"])
    assert counted.args[0]["shown"] == 50
    with qtbot.waitSignal(district.counts, timeout=5000) as counted:
        district.set_filter(groups=["state_supported"])
    assert 0 < counted.args[0]["shown"] < 2000
    with qtbot.waitSignal(district.counts, timeout=5000) as counted:
        district.set_filter()
    assert counted.args[0]["shown"] == 2000


def test_search_by_code_and_address(district: Any, sim_register: Any, qtbot: Any) -> None:
    h = list(sim_register.households.values())[123]
    with qtbot.waitSignal(district.searchResults, timeout=5000) as found:
        district.search(h.code)
    assert found.args[0][0]["code"] == h.code
    with qtbot.waitSignal(district.searchResults, timeout=5000) as found:
        district.search(h.address)
    assert h.code in [r["code"] for r in found.args[0]]
    with qtbot.waitSignal(district.searchResults, timeout=5000) as found:
        district.search("no such place 不存在")
    assert found.args[0] == []


def test_calls_before_ready_are_queued(map_factory: Any, run_js: Any, sim_register: Any, qtbot: Any) -> None:
    view = map_factory()
    code = next(iter(sim_register.households))
    with qtbot.waitSignal(view.rendered, timeout=30_000):
        view.load(sim_register, {})
        assert not view.is_ready
        view.set_bands({code: "unprotected"})
        view.center_on(code)
    assert run_js(view, f"GC.markerInfo({code!r})")["band"] == "unprotected"
    assert run_js(view, "GC.view()")["zoom"] >= 16  # center_on ran after the page said ready


def test_responders_are_drawn(district: Any, run_js: Any, sim_register: Any) -> None:
    h = next(iter(sim_register.households.values()))
    responders = [
        {
            "name": "网格员",
            "role": "grid_worker",
            "phone": "138****0000",
            "lat": h.lat + 0.002,
            "lon": h.lon,
            "distance_m": 222.0,
        },
        {"name": "无坐标", "role": "neighbour", "phone": "", "lat": None, "lon": None, "distance_m": None},
    ]
    district.show_responders(h.code, responders)
    assert run_js(district, "document.querySelectorAll('.gc-resp').length") == 1


def test_gcj02_household_is_drawn_at_its_wgs84_position(map_factory: Any, load_map: Any, run_js: Any) -> None:
    wgs = (29.5630, 106.5516)
    gcj = geo.wgs84_to_gcj02(*wgs)
    areas = [Area(code="T1", name="解放碑街道", level="street")]
    households = [
        Household(
            code="G1",
            district="D",
            township="T1",
            community="C",
            grid="g",
            address="一号",
            lat=gcj[0],
            lon=gcj[1],
            crs="gcj02",
        ),
        Household(
            code="W1",
            district="D",
            township="T1",
            community="C",
            grid="g",
            address="二号",
            lat=wgs[0],
            lon=wgs[1],
        ),
        Household(
            code="BAD", district="D", township="T1", community="C", grid="g", address="三号", lat=0.0, lon=0.0
        ),
    ]
    view = map_factory()
    load_map(view, Register(areas, households, version="gcj-test"), {})
    g1 = run_js(view, "GC.markerInfo('G1')")
    w1 = run_js(view, "GC.markerInfo('W1')")
    assert geo.distance_m(g1["lat"], g1["lon"], *wgs) < 0.5
    assert geo.distance_m(g1["lat"], g1["lon"], gcj[0], gcj[1]) > 200
    assert (g1["x"], g1["y"]) == pytest.approx((w1["x"], w1["y"]), abs=1)
    assert view.last_counts["unlocated"] == 1
