"""The last resort when a console stops while its journal still fails."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from console.domain import events as ev
from console.paths import data_dir

log = logging.getLogger(__name__)


def save_unwritten(events: list[ev.AnyEvent], console_id: str) -> Path | None:
    """The held events, one canonical encoding per line, in the first place that takes them
    (the data dir, then the temp dir)."""
    name = f"unwritten-{console_id}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    for folder in (data_dir(), Path(tempfile.gettempdir())):
        try:
            path = folder / name
            path.write_bytes(b"".join(ev.encode(e) + b"\n" for e in events))
        except OSError:
            continue
        log.critical("%d unjournaled events saved to %s", len(events), path)
        return path
    log.critical("%d unjournaled events could not be saved anywhere", len(events))
    return None
