"""The shipped Mosquitto config and its loopback variant (tests, benches, local training).

Standard library only: the test fixtures import it without MQTT libraries installed.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from console.paths import resource

LOOPBACK = "127.0.0.1"


def shipped_conf_path() -> Path:
    return resource("mosquitto", "console.conf")


def conf_settings(text: str) -> dict[str, list[str]]:
    """Active ``key value`` lines of a Mosquitto config (comments dropped), in order."""
    out: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        out.setdefault(key, []).append(value.strip())
    return out


def loopback_conf(
    shipped: str, port: int, persistence_dir: Path, log_file: Path, overrides: dict[str, str] | None = None
) -> str:
    """The shipped config with its global settings kept verbatim and the listener swapped.

    Everything above the first ``listener`` line is kept (queues, inflight, persistence);
    persistence_location and log_dest are redirected; ``overrides`` replace global keys
    (benches measure other inflight windows); the listener section becomes a loopback-only
    anonymous listener.
    """
    overrides = dict(overrides or {})
    kept: list[str] = []
    for line in shipped.splitlines():
        key = line.split("#", 1)[0].strip().split(" ", 1)[0]
        if key == "listener":
            break
        if key in ("persistence_location", "log_dest", "pid_file", "user"):
            continue
        if key in overrides:
            kept.append(f"{key} {overrides.pop(key)}")
            continue
        kept.append(line)
    kept += ["", "# --- loopback adaptation (console/io/mqtt_config.py) ---"]
    kept += [f"{k} {v}" for k, v in overrides.items()]
    kept += [f"persistence_location {persistence_dir}/", f"log_dest file {log_file}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        kept.append(f"user {getpass.getuser()}")  # as root Mosquitto would switch to 'mosquitto'
    kept += [f"listener {port} {LOOPBACK}", "allow_anonymous true", ""]
    return "\n".join(kept)
