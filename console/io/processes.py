"""Child processes of a driver: ``python -m console X`` children (the demo's and training's
broker, gateway simulator, traffic, drills) started, awaited and stopped."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path


def start_child(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m console *args`` with its output in ``log_path``."""
    with open(log_path, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "console", *args], stdout=out, stderr=subprocess.STDOUT
        )


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    """The embedded broker in its own process (it stands for the district's broker)."""
    logp = workdir / "broker.log"
    proc = start_child(["broker", "--port", "0", "--data-dir", str(workdir / "broker")], logp)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = logp.read_text(errors="replace") if logp.exists() else ""
        m = re.search(r"listening on ([\d.]+):(\d+)", text)
        if m:
            return proc, m.group(1), int(m.group(2))
        if proc.poll() is not None:
            raise RuntimeError(f"embedded broker failed: {text[-500:]}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("embedded broker did not start within 30 s")


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for c in reversed(children):
        if c.poll() is None:
            c.terminate()
            try:
                c.wait(10)
            except subprocess.TimeoutExpired:
                c.kill()
