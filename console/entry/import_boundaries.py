"""Import the district's own township boundaries (GeoJSON), optional: the map draws them.

``python -m console import-boundaries FILE.geojson [--db URL] [--crs wgs84|gcj02|bd09] [--dry-run]``

The file is a GeoJSON FeatureCollection (RFC 7946, WGS-84; ``--crs`` converts one drawn in
GCJ-02 or BD-09): one Polygon or MultiPolygon per township with ``properties.code`` (a township
code of the stored register: import the register first) and an optional ``properties.name``.
Rings closed with at least 4 positions, every position inside China. The file is saved whole
or not at all; register townships without a boundary are listed as warnings. Without any
boundaries the map draws each township around its households. The checks are
console.io.boundaries; this driver opens the store and prints what it found.
Exit codes: 0 saved (or already in force, or --dry-run found no error), 3 invalid (errors
listed, nothing saved), 2 file unusable (unreadable, not JSON, not a FeatureCollection),
1 store cannot be opened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.domain.geo import CRS_NAMES
from console.io.boundaries import BoundariesFileError, import_boundaries


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console import-boundaries",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=Path, help="GeoJSON FeatureCollection of township polygons")
    p.add_argument(
        "--db",
        default=None,
        help="store URL or SQLite file (default: the settings' db_url, else the user's journal)",
    )
    p.add_argument(
        "--crs", choices=CRS_NAMES, default="wgs84", help="coordinate system of the file (default wgs84)"
    )
    p.add_argument("--dry-run", action="store_true", help="validate only")
    a = p.parse_args(argv)
    from console.config import open_tool_store

    store, code = open_tool_store(a.db, "import-boundaries")
    if store is None:
        return code
    try:
        r = import_boundaries(a.file, store, crs=a.crs, dry_run=a.dry_run)
    except BoundariesFileError as exc:
        print(f"import-boundaries: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    state = (
        "saved"
        if r.saved
        else "already in force"
        if r.unchanged
        else "checked (dry run), nothing saved"
        if a.dry_run and not r.errors
        else "nothing saved"
    )
    print(
        f"{r.features} features: {len(r.townships)} townships, {len(r.errors)} errors, "
        f"{len(r.warnings)} warnings; {state}" + (f" (digest {r.digest[:12]})" if r.digest else "")
    )
    for e in r.errors[:50]:
        print(f"  feature {e.row} [{e.column}] {e.code} {e.reason} {e.detail}", file=sys.stderr)
    if len(r.errors) > 50:
        print(f"  ... {len(r.errors) - 50} more errors", file=sys.stderr)
    if r.warnings:
        print(
            f"  townships without a boundary ({len(r.warnings)}): " + ", ".join(w.code for w in r.warnings),
            file=sys.stderr,
        )
    return 3 if r.errors else 0
