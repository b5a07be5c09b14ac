"""The map never reaches the network: every non-local request is blocked and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl

from console.ui.map.guard import origin_pattern


def test_real_page_makes_no_remote_request(map_factory: Any, load_map: Any, sim_register: Any) -> None:
    view = map_factory()
    load_map(view, sim_register, {})
    assert view.guard.passed > 0
    assert view.guard.blocked_urls == []
    html = view.page_path.read_text(encoding="utf-8")
    assert "http://" not in html.replace('http-equiv="content-type"', "")
    assert "https://" not in html


def test_planted_remote_image_is_caught(map_factory: Any, qtbot: Any, tmp_path: Path) -> None:
    planted = tmp_path / "planted.html"
    planted.write_text(
        '<html><body><img src="http://tiles.example.com/0/0/0.png"></body></html>', encoding="utf-8"
    )
    view = map_factory()
    with qtbot.waitSignal(view.blockedRequest, timeout=10_000) as blocked:
        view.page.setUrl(QUrl.fromLocalFile(str(planted)))
    assert blocked.args == ["http://tiles.example.com/0/0/0.png"]
    assert view.guard.blocked_urls == ["http://tiles.example.com/0/0/0.png"]


def test_configured_intranet_tile_server_is_allowed(
    map_factory: Any, load_map: Any, sim_register: Any, qtbot: Any
) -> None:
    # Nothing listens on port 9 of loopback: the request is let through and then simply fails.
    view = map_factory(base="xyz", xyz_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    load_map(view, sim_register, {})
    qtbot.waitUntil(lambda: view.guard.passed > 10, timeout=10_000)
    assert view.guard.blocked_urls == []


def test_origin_pattern_handles_subdomains_and_ports() -> None:
    p = origin_pattern("http://{s}.tiles.gov.local:8080/{z}/{x}/{y}.png")
    assert p.match("http://a.tiles.gov.local:8080")
    assert not p.match("http://a.tiles.gov.local")
    assert not p.match("http://evil.example.com:8080")
