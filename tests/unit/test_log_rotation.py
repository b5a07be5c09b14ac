"""Issue 17 item 4: the console's log rotates by size and by age and keeps a bounded number of
files. Written past the limit with a fake clock: nothing sleeps."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from console.bootstrap import SizeAndAgeRotatingHandler, setup_logging


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def logger_with(handler: logging.Handler, name: str) -> logging.Logger:
    lg = logging.getLogger(name)
    lg.propagate = False
    lg.setLevel(logging.INFO)
    lg.addHandler(handler)
    return lg


def test_the_log_rotates_past_its_size_and_keeps_a_bounded_number_of_files(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    h = SizeAndAgeRotatingHandler(path, max_bytes=1000, max_age_s=86400, backup_count=3, now=Clock())
    lg = logger_with(h, "test.rotation.size")
    try:
        for i in range(200):  # ~100 bytes a line: 20 KB, far past 1000 bytes x 4 files
            lg.info("line %04d %s", i, "x" * 90)
    finally:
        lg.removeHandler(h)
        h.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["console.log", "console.log.1", "console.log.2", "console.log.3"]
    assert all(p.stat().st_size <= 1000 for p in tmp_path.iterdir())
    assert "line 0199" in path.read_text(encoding="utf-8")  # the newest is in the current file
    assert "line 0000" not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())


def test_the_log_rotates_once_a_day_even_when_quiet(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    clock = Clock()
    h = SizeAndAgeRotatingHandler(path, max_bytes=10**9, max_age_s=86400, backup_count=14, now=clock)
    lg = logger_with(h, "test.rotation.age")
    try:
        lg.info("day one")
        clock.t += 3600
        lg.info("still day one")
        assert not (tmp_path / "console.log.1").exists()
        clock.t += 86400
        lg.info("day two")
    finally:
        lg.removeHandler(h)
        h.close()
    assert (tmp_path / "console.log.1").read_text(encoding="utf-8").count("day one") == 2
    assert "day two" in path.read_text(encoding="utf-8")
    assert "day one" not in path.read_text(encoding="utf-8")


def test_setup_logging_writes_the_rotating_log_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        setup_logging(log_file=tmp_path / "console.log")
        setup_logging(log_file=tmp_path / "other.log")  # a second call adds nothing
        ours = [h for h in root.handlers if isinstance(h, SizeAndAgeRotatingHandler)]
        assert len(ours) == 1 and Path(ours[0].baseFilename) == tmp_path / "console.log"
        logging.getLogger("test.rotation.setup").warning("to the file")
        ours[0].flush()
        assert "to the file" in (tmp_path / "console.log").read_text(encoding="utf-8")
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()
