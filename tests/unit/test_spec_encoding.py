"""Text files are read and written as UTF-8 whatever the machine's code page.

A Chinese Windows (code page 936), like Wine's default one, decodes `read_text()` with its ANSI
code page: console.spec's version read died there with UnicodeDecodeError on 守护台 before the
Windows build began (issue 21). On Linux the same mistake is caught by a child process whose
locale is C with Python's UTF-8 mode off: its preferred encoding is ASCII, which fails on 守护台
as cp936 does; on Windows (and in the Wine stage, build/wine) the child runs on the machine's
ANSI code page, cp936 there, and the same tests hold. The second half walks the AST of console/, build/ and console.spec for every
text-mode open, read_text or write_text that names no encoding.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "console.spec"
INIT = ROOT / "console" / "__init__.py"

# A locale whose preferred encoding is not UTF-8: C, with neither PEP 538's locale coercion nor
# PEP 540's UTF-8 mode (both would turn C into UTF-8), and the console streams on cp936.
NOT_UTF8 = {
    "LANG": "C",
    "LC_ALL": "C",
    "PYTHONUTF8": "0",
    "PYTHONCOERCECLOCALE": "0",
    "PYTHONIOENCODING": "cp936",
    "PYTHONDONTWRITEBYTECODE": "1",
}
CHILD_PRELUDE = """\
import locale, sys
enc = locale.getpreferredencoding(False)
assert enc.replace("-", "").lower() not in ("utf8", "cp65001"), enc
assert not sys.flags.utf8_mode
print("preferred:", enc)
"""


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON"))}
    env.update(NOT_UTF8)
    return subprocess.run(
        [sys.executable, "-c", CHILD_PRELUDE + code],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def spec_version_block() -> str:
    """console.spec's own statements that read the version and check build/version_info.txt
    (everything from the VERSION assignment to the check's loop), as source."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), str(SPEC))
    body = tree.body
    start = next(
        i
        for i, node in enumerate(body)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "VERSION" for t in node.targets)
    )
    end = next(i for i in range(start, len(body)) if isinstance(body[i], ast.For))
    return "\n".join(
        ast.get_source_segment(SPEC.read_text(encoding="utf-8"), n) or "" for n in body[start : end + 1]
    )


def test_the_source_the_spec_reads_is_not_ascii() -> None:
    # What makes the version read depend on the code page at all (else this file proves nothing).
    assert "守护台" in INIT.read_text(encoding="utf-8")


def test_the_child_locale_really_breaks_a_read_without_encoding() -> None:
    out = run_child(f"from pathlib import Path\nPath({str(INIT)!r}).read_text()\n")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "UnicodeDecodeError" in out.stderr
    if sys.platform == "linux":  # the C locale took: ASCII (on Windows LANG changes nothing: cp936 there)
        assert "preferred: ANSI_X3.4-1968" in out.stdout, out.stdout


def test_the_spec_reads_the_version_on_a_non_utf8_code_page() -> None:
    block = spec_version_block()
    assert "__init__.py" in block and "version_info.txt" in block, block
    code = f"import re\nfrom pathlib import Path\nROOT = Path({str(ROOT)!r})\n{block}\nprint('VERSION=' + VERSION)\n"
    out = run_child(code)
    assert out.returncode == 0, textwrap.indent(out.stderr, "  ")
    want = re.search(r'__version__ = "([^"]+)"', INIT.read_text(encoding="utf-8"))
    assert want is not None
    assert f"VERSION={want.group(1)}" in out.stdout.splitlines()


# --- every text-mode file access names its encoding -------------------------------------------

SCANNED = [ROOT / "console", ROOT / "build", SPEC]
SKIP_DIRS = {"work", "dist", "__pycache__"}  # build/work, build/dist: PyInstaller's output

# Offenders in code this test's author does not own, reported for fixing (issue 21). Keyed by
# file and call (not line: the files move on). Fix the call, then delete its line here: the test
# fails on a line that no longer matches anything, so the list only shrinks.
KNOWN: set[tuple[str, str]] = set()  # nothing left: every text-mode access names its encoding

# open()'s positional parameters: (file, mode, buffering, encoding); Path.open's: (mode, buffering,
# encoding); read_text's: (encoding,); write_text's: (data, encoding).
_MODE_AT = {"open": 1, "fdopen": 1, "method-open": 0}
_ENCODING_AT = {"open": 3, "fdopen": 3, "method-open": 2, "read_text": 0, "write_text": 1}
# Receivers whose .open() is not a file in text mode: os.open (a descriptor), webbrowser, Qt's
# QIODevice / dialogs (no path in the name), archives (binary members).
_PATHISH = re.compile(r"(path|file|dir|log|dest|src|target|out|^p$|^f$)", re.IGNORECASE)


def _kind(call: ast.Call) -> str | None:
    fn = call.func
    if isinstance(fn, ast.Name) and fn.id == "open":
        return "open"
    if not isinstance(fn, ast.Attribute):
        return None
    if fn.attr in ("read_text", "write_text"):
        return fn.attr
    if fn.attr == "fdopen" and isinstance(fn.value, ast.Name) and fn.value.id == "os":
        return "fdopen"
    if fn.attr == "open":
        recv = fn.value
        if isinstance(recv, ast.Name) and recv.id == "io":
            return "open"
        if isinstance(recv, ast.Name) and recv.id in (
            "os",
            "webbrowser",
            "tarfile",
            "zipfile",
            "gzip",
            "codecs",
        ):
            return None
        # a path: Path(...), a / b, or a name / attribute that says so (self.log_path, dest, ...)
        if isinstance(recv, ast.Call) and getattr(recv.func, "id", None) in ("Path", "PurePath"):
            return "method-open"
        if isinstance(recv, ast.BinOp) and isinstance(recv.op, ast.Div):
            return "method-open"
        name = recv.id if isinstance(recv, ast.Name) else recv.attr if isinstance(recv, ast.Attribute) else ""
        if name and _PATHISH.search(name):
            return "method-open"
    return None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[0]  # *args: cannot tell, count it as given
    return call.args[index] if len(call.args) > index else None


def offenders_in(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, call) of every text-mode open / read_text / write_text without an encoding."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or (kind := _kind(node)) is None:
            continue
        if any(kw.arg is None for kw in node.keywords):  # **kwargs: cannot tell
            continue
        if kind in _MODE_AT:
            mode = _arg(node, _MODE_AT[kind], "mode")
            if mode is not None and not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)):
                continue  # a mode computed at run time: not decidable here
            if mode is not None and "b" in mode.value:
                continue  # binary: no encoding involved
        if _arg(node, _ENCODING_AT[kind], "encoding") is None:
            found.append((node.lineno, ast.unparse(node)))
    return found


def scanned_files() -> list[Path]:
    out = []
    for base in SCANNED:
        paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
        out += [p for p in paths if not SKIP_DIRS & set(p.relative_to(ROOT).parts[1:-1])]
    return out


def all_offenders() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in scanned_files():
        rel = path.relative_to(ROOT).as_posix()
        for line, call in offenders_in(path.read_text(encoding="utf-8"), rel):
            found.setdefault((rel, call), []).append(line)
    return found


def test_the_scanner_finds_what_it_should_and_nothing_else() -> None:
    source = textwrap.dedent(
        """
        from pathlib import Path
        import io, os
        Path("a").read_text()                      # 3 offender
        Path("a").read_text("utf-8")
        Path("a").read_text(encoding="utf-8", errors="replace")
        Path("a").read_text(errors="replace")      # 6 offender
        Path("a").write_text("x")                  # 7 offender
        Path("a").write_text("x", "utf-8")
        open("a")                                  # 9 offender
        open("a", "w")                             # 10 offender
        open("a", "rb")
        open("a", mode="ab")
        open("a", "r", -1, "utf-8")
        open("a", "w", encoding="utf-8")
        io.open("a", "rt")                         # 15 offender
        os.fdopen(3, "w")                          # 16 offender
        os.open("a", os.O_RDONLY)
        Path("a").open()                           # 18 offender
        Path("a").open("rb")
        log_path.open("a")                         # 20 offender
        (root / "x").open("w", encoding="utf-8")
        dlg.open()
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        open("a", mode)
        """
    )
    lines = [line for line, _ in offenders_in(source, "<sample>")]
    assert sorted(lines) == [4, 7, 8, 10, 11, 16, 17, 19, 21]


def test_every_text_file_access_names_its_encoding() -> None:
    found = all_offenders()
    new = {key: lines for key, lines in found.items() if key not in KNOWN}
    assert not new, "text-mode file access without encoding= (add encoding='utf-8'):\n" + "\n".join(
        f"  {path}:{','.join(map(str, lines))}: {call}" for (path, call), lines in sorted(new.items())
    )
    stale = sorted(KNOWN - set(found))
    assert not stale, f"fixed, so delete from KNOWN in {Path(__file__).name}: {stale}"


def test_the_scan_covers_the_spec_and_the_build_scripts() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in scanned_files()}
    assert {"console.spec", "console/__init__.py", "build/entry.py"} <= names
