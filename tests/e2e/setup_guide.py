"""docs/setup.md followed step by step, in a fresh data dir, against a real Mosquitto (issue 18).

    .venv/bin/python -m tests.e2e.setup_guide [--keep] [--guide docs/setup.md]

The guide is the script: every fenced block whose first line is ``# step: NAME`` is one step,
run in the order of the page. The lines after it that start with ``#`` are directives; the rest
of the block is its body. The convention, which docs/setup.md explains to its readers:

- ````sh`` blocks: each body line is one command (no continuation lines), split like a POSIX
  shell would (``shlex``); a leading ``guardian-cli`` is ``python -m console``. Directives:

  - ``# expect: TEXT``: the command's output (stdout and stderr together) contains TEXT;
  - ``# exit: N``: every command exits N (default 0);
  - ``# background: until TEXT``: the command is long-running (one command only): it is started,
    the step waits for an output line containing TEXT and then checks its ``expect`` lines
    against the output so far; it keeps running through the next steps until a ``stop``;
  - ``# from NAME: TEXT`` (a block with no body): the running background step NAME prints TEXT.

- ````text`` blocks: done by a person. ``# by hand: WHAT`` has the script do its stand-in for it
  (``STAND_INS``: the filled-in register, the GIS office's boundaries, the device platform's test
  alarm); ``# stop: NAME`` stops background step NAME as Ctrl-C or closing the window would
  (SIGTERM, which every long-running subcommand treats alike) and expects exit 0.

- ````toml`` blocks with ``# file: NAME``: the body is written to that file. ``console.toml`` is
  the file the installer writes beside the program; a source run reads no file there
  (console.config reads it only when frozen), so the script writes it to a "program folder" of
  its own and names it with ``GUARDIAN_CONFIG`` for every command: the same file, read at the
  same place in the settings order for this single-file set-up.

A block without ``# step:`` is an illustration and is not run. ``<name>`` placeholders are
replaced from ``placeholders()`` (the broker the script started, the data dir, passwords); a
placeholder the script does not know, an unknown directive or a step with no stand-in fails the
run, so the guide and the script cannot drift apart unnoticed. ``CHECKS`` holds what the script
checks beyond what the page says (the store after an import, the live journal after a drill).

Every command runs with the same fresh ``GUARDIAN_DATA_DIR`` (the officer's data dir) and a fresh
working dir (the IT staff's set-up folder, where the register and the boundaries file are
saved). The district is 渝北区 500112 (tests/fixtures/real_district.py). Nothing sleeps: waits
are on a child's output lines or on broker messages (tests/fixtures/brokers.py ``wait_until``).
Prints one line per step and a JSON summary; exit 0 when every step passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "setup.md"
CLI = "guardian-cli"
CONSOLE_ID = "yb-ws-01"
HOMES_PER_TOWNSHIP = 4
COMMAND_TIMEOUT_S = 180.0
READY_TIMEOUT_S = 120.0
DIRECTIVES = ("step", "expect", "exit", "background", "by hand", "stop", "file")
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^# (from \S+|[a-z ]+): ?(.*)$")
PLACEHOLDER = re.compile(r"<[a-z][a-z-]*>")


class GuideError(ValueError):
    """The page and this script do not agree on the convention."""


@dataclass
class Block:
    lang: str
    line: int  # of the opening fence, 1-based
    step: str
    directives: list[tuple[str, str]]
    body: list[str]

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.directives if k == key]

    def one(self, key: str) -> str | None:
        found = self.all(key)
        return found[-1] if found else None


def blocks(text: str) -> list[Block]:
    """The page's step blocks, in order."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            i += 1
            continue
        start, lang, content = i + 1, m.group(1), []
        i += 1
        while i < len(lines) and lines[i].rstrip() != "```":
            content.append(lines[i])
            i += 1
        i += 1
        if not content or not content[0].startswith("# step: "):
            continue
        directives: list[tuple[str, str]] = []
        k = 0
        while k < len(content) and content[k].startswith("#"):
            d = DIRECTIVE.match(content[k])
            if d is None or not (d.group(1) in DIRECTIVES or d.group(1).startswith("from ")):
                raise GuideError(f"line {start + 1 + k}: not a directive: {content[k]!r}")
            directives.append((d.group(1), d.group(2).strip()))
            k += 1
        body = [ln for ln in content[k:] if ln.strip()]
        out.append(Block(lang, start, directives[0][1], directives[1:], body))
    names = [b.step for b in out]
    if len(names) != len(set(names)):
        raise GuideError(f"step names repeat: {names}")
    return out


def substitute(text: str, values: dict[str, str]) -> str:
    for k, v in values.items():
        text = text.replace(k, v)
    left = PLACEHOLDER.findall(text)
    if left:
        raise GuideError(f"placeholders the script does not know: {sorted(set(left))} in {text!r}")
    return text


def command(line: str) -> list[str]:
    argv = shlex.split(line)
    if not argv or argv[0] != CLI:
        raise GuideError(f"a command must start with {CLI}: {line!r}")
    return [sys.executable, "-m", "console", *argv[1:]]


@dataclass
class Background:
    step: str
    proc: subprocess.Popen[bytes]
    out: Any  # tests.fixtures.brokers.Lines

    def text(self) -> str:
        return str(self.out.text())

    def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float) -> Any:
        from tests.fixtures.brokers import wait_until

        def check() -> Any:
            value = predicate()
            if not value and self.out.ended and self.proc.poll() is not None:
                raise AssertionError(f"{self.step} exited ({self.proc.returncode}) before {what}")
            return value

        return wait_until(check, timeout, what, on=self.out.changes)

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.out.join(10)
        return int(self.proc.returncode)


@dataclass
class Run:
    """One run of the guide: the fresh folders, the broker, what runs in the background."""

    base: Path
    broker: Any
    work: Path = field(init=False)
    data: Path = field(init=False)
    program: Path = field(init=False)
    logs: Path = field(init=False)
    running: dict[str, Background] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.work, self.data = self.base / "setup-folder", self.base / "data"
        self.program, self.logs = self.base / "program", self.base / "logs"
        for d in (self.work, self.data, self.program, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        from tests.fixtures import real_district as rd

        self.homes = rd.homes(HOMES_PER_TOWNSHIP, 1)

    @property
    def settings_file(self) -> Path:
        return self.program / "console.toml"

    @property
    def journal(self) -> Path:
        return self.data / "journal.sqlite"

    def placeholders(self) -> dict[str, str]:
        from tests.fixtures import real_district as rd

        return {
            "<district-code>": rd.DISTRICT,
            "<console-id>": CONSOLE_ID,
            "<broker-host>": self.broker.host,
            "<broker-port>": str(self.broker.port),
            "<admin-password>": "Yubei-admin-2026",
            "<officer-password>": "Yubei-duty-2026",
            "<data-dir>": self.data.as_posix(),
            "<settings-file>": str(self.settings_file),
        }

    def env(self) -> dict[str, str]:
        env = dict(os.environ, GUARDIAN_DATA_DIR=str(self.data), GUARDIAN_CONFIG=str(self.settings_file))
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
        for name in [
            k for k in env if k.startswith("GUARDIAN_") and k not in ("GUARDIAN_DATA_DIR", "GUARDIAN_CONFIG")
        ]:
            del env[name]  # a fresh workstation: no settings of the machine running this
        return env

    def stop_all(self) -> None:
        for bg in list(self.running.values()):
            bg.stop()
        self.running.clear()


# --- the person's part: what the script does instead ---------------------------------------------


def fill_register(run: Run) -> None:
    """The offices' filled-in template, saved where the guide says (tests/fixtures/real_district)."""
    from tests.fixtures import real_district as rd

    rd.write_csv(run.work / "register-500112.csv", run.homes)


def boundaries_file(run: Run) -> None:
    """Outlines as a GIS office would draw them on AMap (GCJ-02): a box around each township's
    households, closed rings, the register's township codes."""
    from tests.fixtures import real_district as rd

    features = []
    for code, name, _level, _community, lat, lon in rd.TOWNSHIPS:
        s, w, n, e = lat - 0.03, lon - 0.03, lat + 0.04, lon + 0.04
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    (run.work / "boundaries-500112.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_alarm(run: Run) -> None:
    """The device platform's test alarm: the first household's smoke detector, QoS 1, published by
    an ordinary paho client on the district's topic."""
    from console.domain.codec import device_topic
    from console.sim.traffic import payload
    from tests.fixtures import real_district as rd
    from tests.fixtures.brokers import publish_paho

    home = run.homes[0]
    dev, kind = home.devices[0]
    body = payload(dev, kind, "alarm", time.time_ns(), f"setup-test-{uuid.uuid4().hex[:8]}")
    publish_paho(run.broker, [(device_topic(rd.DISTRICT, home.township, dev), body)])
    run.facts["test_alarm"] = {"household": home.code, "device": dev}


STAND_INS: dict[str, Callable[[Run], None]] = {
    "fill-register": fill_register,
    "boundaries-file": boundaries_file,
    "test-alarm": test_alarm,
}


# --- what the script checks beyond the page -------------------------------------------------------


def incidents(db: Path) -> list[dict[str, Any]]:
    from console.io.store.store import SqlStore

    with SqlStore(f"sqlite:///{db}", readonly=True) as store:
        return list(store.read_projection()["incidents"])


def journal_count(db: Path, kind: str | None = None) -> int:
    """Records in a journal (of one type: "dev" for device events), read only while it runs."""
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        if kind is None:
            return int(con.execute("SELECT count(*) FROM journal").fetchone()[0])
        return int(con.execute("SELECT count(*) FROM journal WHERE type = ?", (kind,)).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        con.close()


def register_in_store(run: Run) -> None:
    from console.io.store.store import SqlStore

    with SqlStore(f"sqlite:///{run.journal}", readonly=True) as store:
        reg = store.load_register()
    assert reg is not None, "no register in the store after the import"
    codes = set(reg.households)
    assert codes == {h.code for h in run.homes}, f"households in the store: {sorted(codes)}"


def boundaries_in_store(run: Run) -> None:
    from console.io.store.store import SqlStore

    with SqlStore(f"sqlite:///{run.journal}", readonly=True) as store:
        b = store.load_boundaries()
    assert b is not None, "no boundaries in the store after the import"


def incident_journaled(run: Run) -> None:
    """The test alarm is an incident of its household in the live journal (read while headless
    runs, re-read at each of its status lines)."""
    want = run.facts["test_alarm"]["household"]
    bg = run.running["headless"]
    bg.wait_for(lambda: any(i["household"] == want for i in incidents(run.journal)), "the incident", 30)


def before_drill(run: Run) -> None:
    run.facts["live_records_before_drill"] = journal_count(run.journal)


def drill_journaled(run: Run) -> None:
    """The drill's alarm reached the TRAINING console: it asks the training broker to notify
    (asked only after the alarm is journaled), and its journal is training.sqlite."""
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME
    from tests.fixtures.brokers import Watcher, wait_until

    bg = run.running["drill"]
    m = re.search(r"broker ([\d.]+):(\d+)", bg.text())
    assert m, "training printed no broker address"
    broker = SimpleNamespace(
        host=m.group(1), port=int(m.group(2)), username=DEMO_USERNAME, password=DEMO_PASSWORD
    )
    watcher = Watcher(broker, "#")
    training = run.data / "training.sqlite"
    try:
        # re-read at each message: the console's retained presence at once, its notification
        # requests after it has journaled the alarm
        wait_until(
            lambda: journal_count(training, "dev") > 0,
            60,
            "the drill's alarm in training.sqlite",
            on=watcher.changes,
        )
    finally:
        watcher.close()


def live_journal_untouched(run: Run) -> None:
    after = journal_count(run.journal)
    before = run.facts["live_records_before_drill"]
    assert after == before, f"the drill wrote to the live journal: {before} records before, {after} after"
    assert (run.data / "training.sqlite").exists(), "no training.sqlite"


CHECKS: dict[str, Callable[[Run], None]] = {
    "import-register": register_in_store,
    "import-boundaries": boundaries_in_store,
    "test-alarm-heard": incident_journaled,
    "drill": drill_journaled,
    "end-drill": live_journal_untouched,
}
BEFORE: dict[str, Callable[[Run], None]] = {"drill": before_drill}


# --- the steps ------------------------------------------------------------------------------------


def run_commands(run: Run, b: Block) -> None:
    values = run.placeholders()
    want_exit = int(b.one("exit") or 0)
    expects = [substitute(e, values) for e in b.all("expect")]
    log = run.logs / f"{b.step}.log"
    background = b.one("background")
    if background is not None:
        if len(b.body) != 1 or not background.startswith("until "):
            raise GuideError(f"step {b.step}: a background step is one command with 'until TEXT'")
        start_background(run, b, command(substitute(b.body[0], values)), background[6:], expects, log)
        return
    if not b.body:
        froms = [(k[5:], v) for k, v in b.directives if k.startswith("from ")]
        if not froms:
            raise GuideError(f"step {b.step}: no command and nothing to wait for")
        for name, text in froms:
            wait_printed(running(run, name, b.step), substitute(text, values), 60)
        return
    output = []
    for line in b.body:
        argv = command(substitute(line, values))
        done = subprocess.run(
            argv, cwd=run.work, env=run.env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
        )
        text = done.stdout + done.stderr
        output.append(text)
        with log.open("a", encoding="utf-8") as f:
            f.write(f"$ {line}\n{text}[exit {done.returncode}]\n")
        if done.returncode != want_exit:
            raise AssertionError(f"{line!r} exited {done.returncode}, not {want_exit}:\n{text[-3000:]}")
    joined = "".join(output)
    for e in expects:
        if e not in joined:
            raise AssertionError(f"no {e!r} in the output:\n{joined[-3000:]}")


def start_background(run: Run, b: Block, argv: list[str], until: str, expects: list[str], log: Path) -> None:
    from tests.fixtures.brokers import Lines

    proc = subprocess.Popen(
        argv,
        cwd=run.work,
        env=run.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    bg = Background(b.step, proc, Lines(proc.stdout, copy_to=log))
    run.running[b.step] = bg
    wait_printed(bg, until, READY_TIMEOUT_S)
    for e in expects:
        if e not in bg.text():
            raise AssertionError(f"no {e!r} in the output of {b.step}:\n{bg.text()[-3000:]}")


def wait_printed(bg: Background, text: str, timeout: float) -> None:
    bg.wait_for(lambda: text in bg.text(), f"{bg.step} printing {text!r}", timeout)


def running(run: Run, name: str, step: str) -> Background:
    bg = run.running.get(name)
    if bg is None:
        raise AssertionError(f"step {step}: {name} is not running (its step failed or never ran)")
    return bg


def by_hand(run: Run, b: Block) -> None:
    stop = b.one("stop")
    if stop is not None:
        bg = running(run, stop, b.step)
        del run.running[stop]
        rc = bg.stop()
        if rc != 0:
            crashes = sorted(str(p) for p in run.data.glob("crash*.log"))  # a fatal signal's traceback
            raise AssertionError(f"{stop} exited {rc}, not 0 (crash files: {crashes}):\n{bg.text()[-3000:]}")
        return
    if b.one("by hand") is not None:
        stand_in = STAND_INS.get(b.step)
        if stand_in is None:
            raise GuideError(f"step {b.step} is done by hand and the script has no stand-in for it")
        stand_in(run)
        return
    raise GuideError(f"step {b.step}: a text step needs 'by hand' or 'stop'")


def write_file(run: Run, b: Block) -> None:
    name = b.one("file")
    if name != "console.toml":
        raise GuideError(f"step {b.step}: the script knows where console.toml goes, not {name!r}")
    run.settings_file.write_text(substitute("\n".join(b.body), run.placeholders()) + "\n", encoding="utf-8")


def step(run: Run, b: Block) -> None:
    if b.step in BEFORE:
        BEFORE[b.step](run)
    if b.lang == "sh":
        run_commands(run, b)
    elif b.lang == "text":
        by_hand(run, b)
    elif b.lang == "toml":
        write_file(run, b)
    else:
        raise GuideError(f"step {b.step}: no steps in ```{b.lang} blocks")
    if b.step in CHECKS:
        CHECKS[b.step](run)


def run(
    base: Path, broker: Any = None, guide: Path = GUIDE, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Follow ``guide`` in fresh folders under ``base``; start a Mosquitto there unless given one.
    Returns {steps: [{step, ok, s, error}], failed: [names], seconds}."""
    from tests.fixtures.brokers import MosquittoBroker, mosquitto_binary

    steps = blocks(guide.read_text(encoding="utf-8"))  # a page the script cannot read fails here
    own = None
    if broker is None:
        binary = mosquitto_binary()
        if binary is None:
            raise SystemExit("mosquitto is not installed (build/system-packages.txt)")
        broker = own = MosquittoBroker(binary, base / "mosquitto")
        own.start()
    r = Run(base, broker)
    results: list[dict[str, Any]] = []
    t_all = time.monotonic()
    try:
        for b in steps:
            t0 = time.monotonic()
            try:
                step(r, b)
                results.append({"step": b.step, "ok": True, "s": round(time.monotonic() - t0, 2)})
                say(f"ok      {b.step}  ({time.monotonic() - t0:.1f} s)")
            except GuideError:
                raise
            except Exception as exc:  # noqa: BLE001 - one step's failure is reported, the next steps run
                msg = f"{type(exc).__name__}: {exc}"
                results.append(
                    {"step": b.step, "ok": False, "s": round(time.monotonic() - t0, 2), "error": msg}
                )
                say(f"FAILED  {b.step} (docs/setup.md line {b.line}): {msg}")
    finally:
        r.stop_all()
        if own is not None:
            own.stop()
    return {
        "steps": results,
        "failed": [x["step"] for x in results if not x["ok"]],
        "seconds": round(time.monotonic() - t_all, 1),
        "logs": str(r.logs),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.e2e.setup_guide", description=__doc__.splitlines()[0])
    ap.add_argument("--guide", type=Path, default=GUIDE)
    ap.add_argument(
        "--keep", action="store_true", help="keep the temporary folders (logs/ has each step's output)"
    )
    args = ap.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="guardian-setup-guide-"))
    figures = run(base, guide=args.guide)
    print(json.dumps({k: v for k, v in figures.items() if k != "steps"}))
    if not args.keep:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"kept {base}")
    return 0 if not figures["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
