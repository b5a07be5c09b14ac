"""Fail on every import cycle between modules of the ``console`` package.

Usage (from anywhere)::

    .venv/bin/python build/check_import_cycles.py       # exit 1 and list the cycles, if any

The import graph is grimp's (the library import-linter is built on), which reads every
``import`` statement of every module, those inside functions included: a cycle that only closes
at run time is still a cycle. Imports under ``if TYPE_CHECKING:`` are left out (grimp's
``exclude_type_checking_imports``): they never run, so they cannot make a cycle at import time.

A cycle is a strongly connected component of more than one module (a package counts as its
``__init__``); each is printed with the import lines that close it. No cache: the graph is
built from the sources as they are now.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "console"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (no recursion limit on a deep import chain)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def cycles(package: str = PACKAGE) -> list[tuple[list[str], list[str]]]:
    """Every cycle as (its modules, the import lines between them)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    g = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    graph = {m: set(g.find_modules_directly_imported_by(m)) for m in g.modules}
    out: list[tuple[list[str], list[str]]] = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        members = set(component)
        lines: list[str] = []
        for importer in component:
            for imported in sorted(graph[importer] & members):
                for d in g.get_import_details(importer=importer, imported=imported):
                    lines.append(
                        f"{importer} -> {imported}  (l.{d['line_number']}: {d['line_contents'].strip()})"
                    )
        out.append((component, lines))
    return sorted(out)


def main() -> int:
    found = cycles()
    if not found:
        print(f"no import cycles between {PACKAGE} modules")
        return 0
    print(f"{len(found)} import cycle(s) between {PACKAGE} modules:")
    for n, (modules, lines) in enumerate(found, 1):
        print(f"\n{n}. {' <-> '.join(modules)}")
        for line in lines:
            print(f"     {line}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
