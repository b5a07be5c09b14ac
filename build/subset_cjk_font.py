"""Make resources/fonts/WenQuanYiMicroHei-subset.ttf, the CJK font shipped with the console.

Usage (from anywhere; the same inputs give the same bytes)::

    .venv/bin/python build/subset_cjk_font.py            # (re)write the subset
    .venv/bin/python build/subset_cjk_font.py --check    # change nothing; exit 1 if a character
                                                         # the console uses is missing from it
    .venv/bin/python build/subset_cjk_font.py --source /path/to/wqy-microhei.ttc

Why ship a font: the console's default language is Chinese, and a bare Linux machine (or a
stripped-down Windows image) may have no CJK font at all; Qt then draws boxes in the window and
the PDF reports embed none. The source is Debian's fonts-wqy-microhei (WenQuanYi Micro Hei
0.2.0-beta, Apache-2.0 or GPL-3+ with the font exception; we take Apache-2.0). Its .ttc holds a
proportional and a monospaced face; the proportional one is kept, as a single TTF.

What is kept (``RANGES``): printable ASCII and Latin-1, punctuation, arrows, math operators,
shapes, dingbats, CJK symbols and punctuation, fullwidth forms; every character of GB2312 (both
levels of hanzi, 6,763, plus its symbol rows); and every character used in resources/
(translations, checklists, scenarios, the register samples, risk.toml, the map page ...) and in
console/'s string literals — about 8,000 of the source's 34,600 characters, 1.3 MB. Hinting is
dropped (the font has little: 2% of the size). The family is renamed
"WenQuanYi Micro Hei Subset" so that Qt never takes it for a full install of WenQuanYi Micro Hei,
which has the rare characters a resident's name may need.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian: fonts-wqy-microhei
OUT = ROOT / "resources" / "fonts" / "WenQuanYiMicroHei-subset.ttf"
FAMILY = "WenQuanYi Micro Hei Subset"  # console/ui/fonts.py SHIPPED_FAMILY
POSTSCRIPT = "WenQuanYiMicroHeiSubset"
SOURCE_FAMILY = "WenQuanYi Micro Hei"  # the proportional face (the other is "... Mono")
# Binary or generated files whose characters are already counted from their sources.
SKIP_SUFFIXES = frozenset({".qm", ".png", ".ico", ".wav", ".xlsx", ".ttf", ".ttc", ".otf", ".mbtiles"})

RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ° × · é ...
    (0x2000, 0x206F),  # general punctuation: — … ‘’ “” ‰ ※
    (0x2100, 0x214F),  # letterlike: ℃ № ™
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators: − ≤ ≥ ≈
    (0x2460, 0x24FF),  # enclosed numbers ①
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes ■ ● ▲
    (0x2700, 0x27BF),  # dingbats ✓ ✕
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
)


def gb2312() -> set[str]:
    """Every character GB2312 encodes: decode each valid two-byte code (rows 0xA1-0xF7)."""
    chars: set[str] = set()
    for hi in range(0xA1, 0xFF):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\u\{([0-9a-fA-F]{1,6})\}")


def _text_chars(text: str) -> set[str]:
    """The characters of a text file, with HTML references (``&#x2212;``, Leaflet's zoom-out
    button) and JavaScript escapes (``\\u2212``) decoded: they are shown, too."""
    escaped = {chr(cp) for a, b in JS_ESCAPE.findall(text) if (cp := int(a or b, 16)) <= 0x10FFFF}
    return set(html.unescape(text)) | escaped


def _literals(path: Path) -> Iterable[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def used_chars(root: Path = ROOT) -> set[str]:
    """The characters the console itself shows: its string literals and its text resources."""
    chars: set[str] = set()
    for py in sorted((root / "console").rglob("*.py")):
        for text in _literals(py):
            chars.update(text)
    for f in sorted((root / "resources").rglob("*")):
        if not f.is_file() or f.suffix.lower() in SKIP_SUFFIXES or f.parent.name == "fonts":
            continue
        try:
            chars.update(_text_chars(f.read_text(encoding="utf-8")))
        except UnicodeDecodeError:  # a binary file with a new suffix: nothing to show
            continue
    return {c for c in chars if (c.isprintable() and not c.isspace()) or c == " "}


def wanted_chars(root: Path = ROOT) -> set[str]:
    chars = {chr(cp) for lo, hi in RANGES for cp in range(lo, hi + 1)}
    return chars | gb2312() | used_chars(root)


def source_face(path: Path) -> TTFont:
    """The proportional face of the collection (or the font itself if it is a single TTF)."""
    if path.suffix.lower() != ".ttc":
        return TTFont(path, recalcTimestamp=False)
    faces = TTCollection(path).fonts
    for i, face in enumerate(faces):
        if face["name"].getDebugName(1) == SOURCE_FAMILY:
            return TTFont(path, fontNumber=i, recalcTimestamp=False)
    raise SystemExit(f"{path}: no face named {SOURCE_FAMILY!r}")


def _rename(font: TTFont) -> None:
    name = font["name"]
    version = name.getDebugName(5) or ""
    for rec in list(name.names):
        if rec.nameID in (1, 3, 4, 6, 16, 17):
            name.removeNames(nameID=rec.nameID)
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName("Regular", 2, 3, 1, 0x409)
    name.setName(f"{FAMILY}; {version}; Guardian Console subset", 3, 3, 1, 0x409)
    name.setName(FAMILY, 4, 3, 1, 0x409)
    name.setName(POSTSCRIPT, 6, 3, 1, 0x409)
    # Apache-2.0 section 4(b): modified files carry a notice that they were changed.
    name.setName(
        "Subset of WenQuanYi Micro Hei 0.2.0-beta (Apache-2.0) made by build/subset_cjk_font.py "
        "for Guardian Console: fewer characters, no hinting, renamed family.",
        10,
        3,
        1,
        0x409,
    )


def build(source: Path, out: Path, chars: set[str]) -> tuple[set[str], set[str]]:
    """Write the subset; return (kept, missing): the wanted characters the source has / lacks."""
    font = source_face(source)
    cmap = font.getBestCmap()
    kept = {c for c in chars if ord(c) in cmap}
    opts = subset.Options()
    opts.hinting = False
    opts.notdef_outline = True  # a visible box for anything still missing
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 10, 13, 14]  # keep the licence (13, 14)
    opts.name_languages = [0x409]
    opts.drop_tables += ["FFTM"]  # FontForge's build timestamps
    opts.recalc_timestamp = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(ord(c) for c in kept))
    sub.subset(font)
    _rename(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    return kept, chars - kept


def missing_from(font_path: Path, chars: set[str]) -> set[str]:
    cmap = TTFont(font_path, lazy=True).getBestCmap()
    return {c for c in chars if ord(c) not in cmap}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--source", type=Path, default=SOURCE, help=f"the WenQuanYi .ttc (default {SOURCE})")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if a used character is missing")
    args = ap.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source} not found: apt-get install fonts-wqy-microhei", file=sys.stderr)
        return 2
    wanted = wanted_chars()
    source_cmap = source_face(args.source).getBestCmap()
    available = {c for c in wanted if ord(c) in source_cmap}
    if args.check:
        gone = missing_from(args.out, available)
        if gone:
            print(
                f"{args.out.name} lacks {len(gone)} characters the console uses: "
                f"{''.join(sorted(gone))}\nrun: .venv/bin/python build/subset_cjk_font.py",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out.name} has every character the console uses")
        return 0
    kept, missing = build(args.source, args.out, wanted)
    used_missing = sorted(c for c in missing & used_chars() if ord(c) > 0x7F)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out}: {len(kept)} characters, {args.out.stat().st_size:,} bytes, sha256 {digest}")
    if used_missing:
        print(f"not in the source font (used by the console): {''.join(used_missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
