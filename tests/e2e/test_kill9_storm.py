"""Kill -9 the console during a 10,000-alarm storm, restart it: every alarm the broker delivered
is in the journal exactly once (ack after journal + dedupe across restarts)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from console.domain.codec import device_topic
from console.sim.traffic import payload
from tests.fixtures.brokers import Lines, publish_paho, wait_until
from tests.support import T0

ROOT = Path(__file__).resolve().parents[2]
N = 10_000


def start_console(broker: Any, db: Path, log: Path) -> tuple[subprocess.Popen[bytes], Lines]:
    """The headless console as a child; its output (a status line every 0.2 s) is read line by
    line, copied to ``log``, and each line wakes the test's waits."""
    args = [sys.executable, "-m", "console", "headless", "--db", f"sqlite:///{db}", "--district", "SIMK"]
    args += ["--broker-host", broker.host, "--broker-port", str(broker.port), "--console-id", "storm1"]
    args += ["--status-every", "0.2"]
    if broker.username:
        args += ["--broker-username", broker.username, "--broker-password", broker.password]
    env = dict(os.environ, GUARDIAN_DATA_DIR=str(db.parent))
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    return proc, Lines(proc.stdout, copy_to=log)


def journal_dev_keys(db: Path) -> list[str]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return [k for (k,) in con.execute("SELECT key FROM journal WHERE type = 'dev'")]
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def last_status(out: Lines) -> dict[str, Any]:
    lines = [ln for ln in out.lines if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def test_kill9_during_storm_loses_nothing_and_duplicates_nothing(mosquitto: Any, tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    log = tmp_path / "console.log"
    proc, out = start_console(mosquitto, db, log)
    try:
        wait_until(
            lambda: last_status(out).get("bus") == "connected", 30, "console connected", on=out.changes
        )
        messages = []
        for i in range(N):
            dev = f"86{i % 2500:013d}"
            body = payload(dev, "smoke", "alarm", T0 + i * 1000, f"storm-{i}")
            messages.append((device_topic("SIMK", "T01", dev), body))
        publisher = threading.Thread(target=publish_paho, args=(mosquitto, messages), kwargs={"timeout": 120})
        publisher.start()
        wait_until(
            lambda: len(journal_dev_keys(db)) >= 1500, 60, "part of the storm journaled", on=out.changes
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        publisher.join(120)
        assert not publisher.is_alive()
        journaled_at_kill = len(journal_dev_keys(db))
        assert journaled_at_kill < N, "the kill came too late to prove anything"

        proc, out = start_console(mosquitto, db, log)
        wait_until(
            lambda: len(journal_dev_keys(db)) >= N,
            120,
            "the whole storm journaled after restart",
            on=out.changes,
        )
        keys = journal_dev_keys(db)
        assert len(keys) == N, f"{len(keys) - N} duplicates"
        assert set(keys) == {f"86{i % 2500:013d}/storm-{i}" for i in range(N)}
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        verify = subprocess.run(
            [sys.executable, "-m", "console", "audit", "verify", "--db", f"sqlite:///{db}"],
            cwd=ROOT,
            env=dict(os.environ, GUARDIAN_DATA_DIR=str(db.parent)),  # the console's anchor key
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
