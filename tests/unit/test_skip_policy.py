"""The skip policy (tests/fixtures/skips.py): a test that skips outside the allow-list fails the
run and is named with its reason; an allowed skip, an xfail and a pass do not. Each case is
planted in a pytest run of its own (pytester, in a subprocess)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.skips import ALLOWED, allowed

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

PLANTED = """
import pytest


@pytest.fixture
def broker():
    pytest.skip("mosquitto binary not found")


def test_passes():
    pass


def test_skips_in_its_body():
    pytest.skip("no sound server")


def test_skips_in_a_fixture(broker):
    pass


@pytest.mark.xfail(reason="known", strict=True)
def test_expected_to_fail():
    raise AssertionError
"""

ALLOWED_PLANT = """
import pytest


def test_bundle_outside_make_bundle():
    pytest.skip("set GUARDIAN_BUNDLE_TEST=1")
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return pytester.runpytest_subprocess("-p", "tests.fixtures.skips", "-p", "no:cacheprovider", "-rs")


def test_a_skip_outside_the_list_fails_the_run_and_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_planted=PLANTED)
    result = run(pytester, monkeypatch)
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*skipped outside the allow-list*",
            "SKIP NOT ALLOWED test_planted.py::test_skips_in_its_body: no sound server",
            "SKIP NOT ALLOWED test_planted.py::test_skips_in_a_fixture: mosquitto binary not found",
        ]
    )
    assert "test_expected_to_fail" not in "\n".join(
        line for line in result.stdout.lines if line.startswith("SKIP NOT ALLOWED")
    )


def test_an_allowed_skip_keeps_the_run_green_and_counted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = pytester.path / "tests" / "e2e"
    bundle.mkdir(parents=True)
    (bundle / "test_bundle.py").write_text(ALLOWED_PLANT, encoding="utf-8")
    result = run(pytester, monkeypatch)
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.OK
    assert not [line for line in result.stdout.lines if "SKIP NOT ALLOWED" in line]


def test_the_allow_list_is_short_and_says_why() -> None:
    assert 0 < len(ALLOWED) <= 10
    assert all(len(why) > 20 for why in ALLOWED.values())
    assert allowed("tests/e2e/test_bundle.py::test_frozen_selftest")
    assert not allowed("tests/integration/test_bus_tls.py::test_tls")
    assert not allowed(
        "tests/gui/test_console.py::test_alert_sounds_for_a_new_incident_and_repeats_until_acknowledged"
    )
