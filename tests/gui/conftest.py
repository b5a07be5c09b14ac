"""GUI-only set-up: custom URL schemes before the QApplication, and map helpers.

Registering ``mbtiles://`` has to happen before pytest-qt creates the QApplication, so it is
done here at import time. (The gui marker and the headless-WebEngine log ignores follow fixture
use, for every folder: tests/conftest.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from console.ui.map import register_schemes

register_schemes()


@pytest.fixture
def zh(qapp: Any) -> Iterator[Any]:
    """zh_CN installed for one test; afterwards English and the previous default locale."""
    from PySide6.QtCore import QLocale

    from console.ui.app import install_translations

    saved = QLocale()
    assert install_translations(qapp, "zh_CN"), "could not load the zh_CN translations"
    yield qapp
    install_translations(qapp, "en")
    QLocale.setDefault(saved)


@pytest.fixture(scope="session")
def sim_register() -> Any:
    """The synthetic district (2,000 households) shared by the map tests; read-only."""
    from console.sim.district import generate

    return generate(seed=7, households=2000)


@pytest.fixture
def map_factory(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Make shown MapViews writing their pages under this test's tmp dir."""
    from console.ui.map.widget import MapView

    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("out_dir", tmp_path / "map")
        view = MapView(**kwargs)
        view.resize(900, 700)
        view.show()
        made.append(view)
        return view

    yield make
    # Delete the views now (page before profile), not at interpreter exit in arbitrary order.
    gone: list[object] = []
    for view in made:
        view.destroyed.connect(lambda *_: gone.append(True))
        view.close()
        view.deleteLater()
    qtbot.waitUntil(lambda: len(gone) == len(made), timeout=10_000)


@pytest.fixture
def load_map(qtbot: Any) -> Callable[..., None]:
    """``load_map(view, register, bands, scope="*")``: load and wait until the page has painted."""

    def load(view: Any, register: Any, bands: dict[str, str], scope: str = "*") -> None:
        with qtbot.waitSignal(view.rendered, timeout=30_000):
            view.load(register, bands, scope)

    return load


@pytest.fixture
def run_js(qtbot: Any) -> Callable[..., Any]:
    """``run_js(view, script)``: evaluate in the page; JSON strings come back decoded."""
    import json

    def run(view: Any, script: str, timeout: int = 10_000) -> Any:
        box: list[Any] = []
        view.evaluate(script, box.append)
        qtbot.waitUntil(lambda: bool(box), timeout=timeout)
        value = box[0]
        if isinstance(value, str) and value and (value[0] in "[{" or value == "null"):
            return json.loads(value)
        return value

    return run
