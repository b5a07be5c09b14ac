"""Refresh resources/i18n/guardian_<locale>.ts from console/ui and compile the .qm files.

Usage (from anywhere; idempotent, safe to re-run before every commit)::

    .venv/bin/python build/update_translations.py            # update .ts, compile .qm
    .venv/bin/python build/update_translations.py --check    # change nothing; exit 1 if stale/unfinished

Why not just ``pyside6-lupdate console/ui``: its Python parser misses calls through an alias
(``tr = QCoreApplication.translate`` in console/ui/map/page.py, where it even misreads
``tr("MapPage", text)`` as a ``tr`` with a comment), through a wrapper (``words._t``) and inside
f-strings. So messages are found with :mod:`ast` here and handed to ``pyside6-lupdate`` as a
line-aligned mirror of console/ui (same paths, every call on its own source line): lupdate
still does the merging, keeps existing translations and drops vanished strings; source
locations are left out (-locations none) so that moving code does not make the .ts stale. ``pyside6-lrelease`` then compiles each .ts.

A .ts or .qm file is rewritten only when its content changes. Messages still unfinished
(new strings nobody has translated) are listed; ``--check`` fails on them.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_DIR = ROOT / "console" / "ui"
I18N_DIR = ROOT / "resources" / "i18n"
DEFAULT_LOCALES = ("zh_CN",)
APP_CLASSES = frozenset({"QCoreApplication", "QGuiApplication", "QApplication"})


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    numerus: bool
    path: str  # relative to ROOT, with forward slashes
    line: int


@dataclass
class Scan:
    messages: list[Message]
    problems: list[str]  # "path:line: why" — calls whose text cannot be extracted


def _is_translate_ref(node: ast.expr) -> bool:
    """``QCoreApplication.translate`` (also via ``QtCore.`` or QApplication/QGuiApplication)."""
    if not (isinstance(node, ast.Attribute) and node.attr == "translate"):
        return False
    owner = node.value
    name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return name in APP_CLASSES


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


def _given(node: ast.expr | None) -> bool:
    return node is not None and not (isinstance(node, ast.Constant) and node.value is None)


class _Finder(ast.NodeVisitor):
    """Collects translatable calls of one module, tracking the enclosing class for ``tr``."""

    def __init__(self, path: str, aliases: set[str], wrappers: dict[str, tuple[str, str]]) -> None:
        self.path = path
        self.aliases = aliases
        self.wrappers = wrappers  # function name -> (context, its text parameter)
        self.classes: list[str] = []
        self.functions: list[str] = []
        self.messages: list[Message] = []
        self.problems: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _add(
        self,
        call: ast.Call,
        context: str | None,
        text: ast.expr | None,
        comment: ast.expr | None,
        n: ast.expr | None,
        what: str,
    ) -> None:
        source = _literal(text)
        if context is None or source is None:
            inside_wrapper = bool(self.functions) and self.functions[-1] in self.wrappers
            if not inside_wrapper:
                why = "no enclosing class" if context is None else "text is not a string literal"
                self.problems.append(f"{self.path}:{call.lineno}: {what}: {why}")
            return
        self.messages.append(
            Message(context, source, _literal(comment) or "", _given(n), self.path, call.lineno)
        )

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "tr":
            ctx = self.classes[-1] if self.classes else None
            self._add(
                node,
                ctx,
                _arg(node, 0, "sourceText"),
                _arg(node, 1, "disambiguation"),
                _arg(node, 2, "n"),
                "tr()",
            )
        elif _is_translate_ref(func) or (isinstance(func, ast.Name) and func.id in self.aliases):
            ctx_node = _arg(node, 0, "context")
            ctx = _literal(ctx_node)
            if ctx is None:
                self.problems.append(f"{self.path}:{node.lineno}: translate(): context is not a literal")
            else:
                self._add(
                    node,
                    ctx,
                    _arg(node, 1, "sourceText"),
                    _arg(node, 2, "disambiguation"),
                    _arg(node, 3, "n"),
                    "translate()",
                )
        elif isinstance(func, ast.Name) and func.id in self.wrappers:
            ctx, param = self.wrappers[func.id]
            self._add(node, ctx, _arg(node, 0, param), None, None, f"{func.id}()")
        elif isinstance(func, ast.Name) and func.id == "QT_TRANSLATE_NOOP":
            self._add(
                node,
                _literal(_arg(node, 0, "context")),
                _arg(node, 1, "sourceText"),
                None,
                None,
                "QT_TRANSLATE_NOOP()",
            )
        elif isinstance(func, ast.Name) and func.id == "QT_TR_NOOP":
            ctx = self.classes[-1] if self.classes else None
            self._add(node, ctx, _arg(node, 0, "sourceText"), None, None, "QT_TR_NOOP()")
        self.generic_visit(node)


def _aliases_and_wrappers(tree: ast.Module) -> tuple[set[str], dict[str, tuple[str, str]]]:
    """Names bound to QCoreApplication.translate, and functions that only forward their text to it."""
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_translate_ref(node.value):
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
    wrappers: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not node.args.args:
            continue
        param = node.args.args[0].arg
        for ret in ast.walk(node):
            call = ret.value if isinstance(ret, ast.Return) else None
            if not isinstance(call, ast.Call):
                continue
            if not (
                _is_translate_ref(call.func) or (isinstance(call.func, ast.Name) and call.func.id in aliases)
            ):
                continue
            ctx, text = _literal(_arg(call, 0, "context")), _arg(call, 1, "sourceText")
            if ctx is not None and isinstance(text, ast.Name) and text.id == param:
                wrappers[node.name] = (ctx, param)
    return aliases, wrappers


def scan(ui_dir: Path = UI_DIR, root: Path = ROOT) -> Scan:
    out = Scan([], [])
    for file in sorted(ui_dir.rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=rel)
        except SyntaxError as exc:
            out.problems.append(f"{rel}:{exc.lineno}: cannot parse: {exc.msg}")
            continue
        finder = _Finder(rel, *_aliases_and_wrappers(tree))
        finder.visit(tree)
        out.messages.extend(finder.messages)
        out.problems.extend(finder.problems)
    return out


def _mirror(messages: list[Message], into: Path) -> list[Path]:
    """Write one file per source file: each message as a literal translate() call on its own line."""
    by_file: dict[str, dict[int, list[Message]]] = defaultdict(lambda: defaultdict(list))
    for m in messages:
        by_file[m.path][m.line].append(m)
    files = []
    for rel, lines in sorted(by_file.items()):
        text = []
        for no in range(1, max(lines) + 1):
            calls = []
            for m in lines.get(no, []):
                args = [json.dumps(m.context, ensure_ascii=False), json.dumps(m.source, ensure_ascii=False)]
                if m.comment or m.numerus:
                    args.append(json.dumps(m.comment, ensure_ascii=False))
                if m.numerus:
                    args.append("1")
                calls.append(f"QCoreApplication.translate({', '.join(args)})")
            text.append("; ".join(calls) or "#")  # lupdate miscounts leading blank lines
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(text) + "\n", encoding="utf-8")
        files.append(target)
    return files


def _tool(name: str) -> str:
    """The PySide6 tool beside this interpreter (the venv), else on PATH."""
    here = Path(sys.executable).parent
    found = shutil.which(name, path=str(here)) or shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH; install pyside6")
    return found


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{Path(cmd[0]).name} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def _replace_if_changed(new: Path, old: Path, check: bool) -> bool:
    """Copy ``new`` over ``old`` when the bytes differ; True if they differed."""
    if old.exists() and old.read_bytes() == new.read_bytes():
        return False
    if not check:
        old.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(new, old)
    return True


def unfinished(ts: Path) -> list[str]:
    """Messages of a .ts with no usable translation: ``context: source``."""
    out = []
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            if tr is None or tr.get("type") in ("obsolete", "vanished"):
                continue
            forms = (
                [f.text or "" for f in tr.iter("numerusform")]
                if msg.get("numerus") == "yes"
                else [tr.text or ""]
            )
            if tr.get("type") == "unfinished" or not all(f.strip() for f in forms):
                out.append(f"{name}: {msg.findtext('source')}")
    return out


def update(locales: tuple[str, ...], check: bool = False) -> int:
    found = scan()
    for p in found.problems:
        print(f"warning: {p}", file=sys.stderr)
    contexts = len({m.context for m in found.messages})
    print(f"{len(found.messages)} translatable calls in {contexts} contexts under {UI_DIR.relative_to(ROOT)}")
    stale: list[str] = []
    missing = 0
    with tempfile.TemporaryDirectory(prefix="gc-i18n-") as tmp:
        work = Path(tmp)
        sources = _mirror(found.messages, work)
        listing = work / "sources.lst"
        listing.write_text("\n".join(str(s) for s in sources) + "\n", encoding="utf-8")
        for locale in locales:
            name = f"guardian_{locale}"
            ts_real, qm_real = I18N_DIR / f"{name}.ts", I18N_DIR / f"{name}.qm"
            ts_work = work / "resources" / "i18n" / f"{name}.ts"
            ts_work.parent.mkdir(parents=True, exist_ok=True)
            if ts_real.exists():
                shutil.copyfile(ts_real, ts_work)
            lupdate = [_tool("pyside6-lupdate"), "-no-obsolete", "-locations", "none"]
            lupdate += ["-source-language", "en", "-target-language", locale, f"@{listing}"]
            print(_run([*lupdate, "-ts", str(ts_work)]).strip())
            if _replace_if_changed(ts_work, ts_real, check):
                stale.append(ts_real.name)
            qm_work = work / f"{name}.qm"
            _run([_tool("pyside6-lrelease"), "-silent", str(ts_work), "-qm", str(qm_work)])
            if _replace_if_changed(qm_work, qm_real, check):
                stale.append(qm_real.name)
            todo = unfinished(ts_work)
            missing += len(todo)
            for line in todo:
                print(f"unfinished [{locale}] {line}", file=sys.stderr)
            print(f"{name}: {len(todo)} unfinished")
    verb = "out of date" if check else "updated"
    print(f"{verb}: {', '.join(stale)}" if stale else "translations up to date")
    if check and (stale or missing):
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale or unfinished")
    parser.add_argument("--locale", action="append", dest="locales", help="default: zh_CN (repeatable)")
    args = parser.parse_args(argv)
    return update(tuple(args.locales or DEFAULT_LOCALES), check=args.check)


if __name__ == "__main__":
    sys.exit(main())
