"""Every text a window shows, as an officer would read it: labels, buttons, tab texts, item
views' cells and headers, the window title, the status bar, the menu bar; visible widgets only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMenuBar,
    QTabWidget,
    QWidget,
)


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) of everything visible under ``root`` (its own title included)."""
    out: list[tuple[str, str]] = [("title", root.windowTitle())]
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        name = w.objectName() or type(w).__name__
        if isinstance(w, QLabel):
            out.append((name, w.text()))
        elif isinstance(w, QAbstractButton):
            out.append((name, w.text()))
        elif isinstance(w, QLineEdit):
            out.append((name, w.placeholderText()))
        elif isinstance(w, QTabWidget):
            out.extend((name, w.tabText(i)) for i in range(w.count()))
        elif isinstance(w, QMenuBar):
            for a in w.actions():
                out.append((name, a.text()))
                menu = a.menu()
                if menu is not None:
                    out.extend((name, b.text()) for b in menu.actions() if b.isVisible())
        if isinstance(w, QListWidget):
            out.extend((name, w.item(i).text()) for i in range(w.count()))
        elif isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView) and w.model() is not None:
            m = w.model()
            for c in range(m.columnCount()):
                h = m.headerData(c, Qt.Orientation.Horizontal)
                if h:
                    out.append((f"{name}.header", str(h)))
            for r in range(m.rowCount()):
                for c in range(m.columnCount()):
                    v = m.index(r, c).data()
                    if v not in (None, ""):
                        out.append((f"{name}[{r},{c}]", str(v)))
    if isinstance(root, QMainWindow):
        out.append(("statusbar", root.statusBar().currentMessage()))
    return [(k, t) for k, t in out if t]
