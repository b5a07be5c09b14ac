"""The district's own township boundaries (a GeoJSON FeatureCollection, WGS-84), optional.

One row per saved file in ``boundaries``; the row named ``current`` is in force. The digest is
the sha256 of the canonical JSON (sorted keys, no spaces), so the same outlines always give
the same digest whatever file they came from; the map keys its page cache on it.
console/io/boundaries.py validates a file before it gets here.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Final

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import DBAPIError

from console.io.store import schema
from console.io.store.errors import classify

CURRENT: Final = "current"


def canonical(geojson: dict[str, Any]) -> str:
    return json.dumps(geojson, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(geojson: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(geojson).encode()).hexdigest()


def save_boundaries(engine: Engine, geojson: dict[str, Any]) -> str:
    """Put ``geojson`` in force (one transaction); its digest."""
    text = canonical(geojson)
    digest = hashlib.sha256(text.encode()).hexdigest()
    b = schema.boundaries
    try:
        with engine.begin() as conn:
            conn.execute(delete(b).where(b.c.name == CURRENT))
            conn.execute(
                b.insert().values(name=CURRENT, digest=digest, saved_ns=time.time_ns(), geojson=text)
            )
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return digest


def load_boundaries(engine: Engine) -> dict[str, Any] | None:
    b = schema.boundaries
    try:
        with engine.connect() as conn:
            text = conn.execute(select(b.c.geojson).where(b.c.name == CURRENT)).scalar()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    if text is None:
        return None
    data = json.loads(text)
    return data if isinstance(data, dict) else None


def boundaries_digest(engine: Engine) -> str | None:
    """The digest in force, without reading the outlines."""
    b = schema.boundaries
    try:
        with engine.connect() as conn:
            value = conn.execute(select(b.c.digest).where(b.c.name == CURRENT)).scalar()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return None if value is None else str(value)
