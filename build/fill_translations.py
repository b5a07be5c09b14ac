"""Fill unfinished zh_CN messages from a small JSON/dict given on the command line (maintainer aid):
python build/fill_translations.py '{"Source": "译文", ...}' then run update_translations.py again."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TS = Path(__file__).resolve().parents[1] / "resources" / "i18n" / "guardian_zh_CN.ts"


def main(argv: list[str]) -> int:
    table: dict[str, str] = json.loads(argv[0])
    tree = ET.parse(TS)
    filled = 0
    for msg in tree.getroot().iter("message"):
        source = msg.findtext("source")
        tr = msg.find("translation")
        if tr is not None and tr.get("type") == "unfinished" and source in table:
            tr.text = table[source]
            del tr.attrib["type"]
            filled += 1
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    print(f"filled {filled}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
