"""The engine's saved states (its checkpoints for a fast start) in the store; what they are for
is in console/app/engine_state.py.

Kept in the fold checkpoints table under ``engine:<console id>``: on a shared store each
workstation restores its own (the incidents whose notifications it owns differ). Only the newest
two are kept. Reading confirms each checkpoint's (seq, hash) against the journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from console.io.store.fold_checkpoints import fold_checkpoints, save_fold_checkpoint

KEEP: Final = 2
_ANY_TIME: Final = 1 << 62


class EngineStateStore:
    """The ``CheckpointStore`` port (console/app/ports.py) over the fold checkpoints table."""

    def __init__(self, store: Any, console_id: str) -> None:
        self.store = store
        self.name = f"engine:{console_id}"

    def candidates(self, version: str, register: str) -> Iterator[tuple[int, bytes]]:
        for cp in fold_checkpoints(
            self.store.engine, self.name, fold_version=version, register_version=register, max_at=_ANY_TIME
        ):
            yield cp.seq, cp.blob

    def save(self, seq: int, max_at: int, version: str, register: str, blob: bytes) -> None:
        rec = self.store.journal.get(seq)
        if rec is None:
            raise ValueError(f"no journal record {seq} to checkpoint")
        save_fold_checkpoint(
            self.store.engine,
            self.name,
            seq=seq,
            hash_=rec.hash,
            max_at=max_at,
            records=seq,
            fold_version=version,
            register_version=register,
            blob=blob,
            keep_newest=KEEP,
        )
