"""docs/setup.md followed step by step in a fresh data dir (issue 18 item 6): every command of the
district set-up guide run as written against a real Mosquitto standing in for the district's
broker, each step's documented outcome checked (tests/e2e/setup_guide.py, the script a reviewer
can run by itself: ``python -m tests.e2e.setup_guide``)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e import setup_guide
from tests.fixtures.brokers import MosquittoBroker


def test_the_guide_read_as_steps_has_every_part_of_a_set_up() -> None:
    steps = [b.step for b in setup_guide.blocks(setup_guide.GUIDE.read_text(encoding="utf-8"))]
    for needed in (
        "selftest",
        "import-register",
        "import-boundaries",
        "add-admin",
        "headless",
        "drill",
        "backup",
    ):
        assert needed in steps, f"docs/setup.md has no step {needed}"
    assert steps.index("import-register") < steps.index("import-boundaries") < steps.index("headless")


def test_setup_md_followed_step_by_step_gives_a_working_console(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    figures = setup_guide.run(tmp_path, mosquitto)
    print(json.dumps(figures, ensure_ascii=False))  # pytest -s: each step's time
    errors = {s["step"]: s["error"] for s in figures["steps"] if not s["ok"]}
    assert not errors, json.dumps(errors, ensure_ascii=False, indent=1)
    assert len(figures["steps"]) >= 15
