"""Personal data on screen: numbers masked in any text the window shows, and reveals that ask
for a reason and show a number only once the World took the reveal (console/domain/privacy.py).

How the window learns that a reveal was taken: it sends ``RevealContact`` and then queues a
query to the engine, which answers in order, after the command was applied. The query returns
the World's own record of that reveal (with the engine's time) or nothing; the window keeps the
taken ones (``RevealLog.taken``) and asks ``privacy.revealed`` whether a number is still shown
(REVEAL_FOR_S). A refusal comes back in the delta as a ``CommandRefused``, shown in words. The
delta carries no reveals, and needs none: what a console may show is that console's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain import events as ev
from console.domain import privacy

# an 18-character resident ID (17 digits and a digit or X), a mainland mobile number (11 digits,
# with or without +86), a landline with its area code; never part of a longer run of digits or
# letters (device ids are 15 digits, journal times 19)
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])0\d{2,3}-\d{7,8}(?!\d)")

REVEAL_REFUSALS = frozenset(
    {
        "not_logged_in",
        "unknown_household",
        "out_of_scope",
        "reveal_needs_reason",
        "forbidden_role",
        "unknown_field",
    }
)


def mask_phone(p: str) -> str:
    return privacy.mask_phone(p)


def mask_id(n: str) -> str:
    return privacy.mask_id(n)


def mask_text(text: str) -> str:
    """``text`` with every ID number and phone number in it masked."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID.sub(lambda m: privacy.mask_id(m.group(0)), text)
    text = _MOBILE.sub(lambda m: privacy.mask_phone(m.group(0)), text)
    return _LANDLINE.sub(lambda m: privacy.mask_phone(m.group(0)), text)


def contact_field(contact_id: str) -> str:
    return f"contact:{contact_id}:phone"


def resident_field(resident_id: str) -> str:
    return f"resident:{resident_id}:id_number"


class RevealLog(QObject):
    """The reveals this console sent and the World took, and the ones waiting for its answer."""

    changed = Signal()  # a reveal was taken or expired: masked texts may change
    refused = Signal(str, str, str)  # household, field, the refusal in words

    def __init__(
        self,
        send: Callable[[ev.AnyEvent], None],
        ask_world: Callable[[Callable[[Any], Any], Callable[[Any], None]], None] | None,
        who: Callable[[], tuple[str, str]],
        now: Callable[[], int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.send = send
        self.ask_world = ask_world
        self.who = who
        self.now = now
        self.taken: list[ev.RevealContact] = []  # in the World's order
        self.pending: list[tuple[str, str]] = []  # (household, field) sent, not answered yet
        self._shown: set[tuple[str, str]] = set()

    def shown(self, household: str, field: str) -> bool:
        _op, console = self.who()
        return privacy.revealed(self.taken, household, field, console, self.now())

    def phone(self, household: str, contact_id: str, number: str) -> str:
        return number if self.shown(household, contact_field(contact_id)) else privacy.mask_phone(number)

    def id_number(self, household: str, resident_id: str, number: str) -> str:
        return number if self.shown(household, resident_field(resident_id)) else privacy.mask_id(number)

    def ask(self, parent: QWidget | None, household: str, field: str, what: str) -> RevealReasonDialog:
        """The reason dialog for revealing ``field``; OK sends the reveal, Cancel reveals nothing."""
        dlg = RevealReasonDialog(what, parent)
        dlg.accepted.connect(lambda: self.reveal(household, field, dlg.reason()))
        dlg.open()
        return dlg

    def reveal(self, household: str, field: str, reason: str) -> None:
        op, console = self.who()
        sent_at = self.now()
        self.pending.append((household, field))
        self.send(
            ev.RevealContact(
                at=0, operator=op, console=console, household=household, field=field, reason=reason
            )
        )
        if self.ask_world is None:
            return

        def taken(w: Any) -> ev.RevealContact | None:
            for r in reversed(w.reveals):
                if r.at < sent_at:
                    break
                if (r.household, r.field, r.console, r.reason) == (household, field, console, reason):
                    return r  # frozen: safe to hand to the UI thread
            return None

        self.ask_world(taken, lambda r: self._answered(household, field, r))

    def _answered(self, household: str, field: str, r: ev.RevealContact | None) -> None:
        # not taken: its refusal (in a delta, maybe later than this answer) takes it off ``pending``
        if r is not None:
            if (household, field) in self.pending:
                self.pending.remove((household, field))
            self.taken.append(r)
            self.taken.sort(key=lambda x: x.at)
            self._shown.add((household, field))
            self.changed.emit()

    def on_refusal(self, code: str, text: str) -> bool:
        """A refusal for this console with no incident: the answer to the oldest reveal waiting
        (True) when it is one of a reveal's refusals."""
        if code not in REVEAL_REFUSALS or not self.pending:
            return False
        household, field = self.pending.pop(0)
        self.refused.emit(household, field, text)
        return True

    def tick(self) -> None:
        """Once a second: a reveal that expired masks its number again."""
        if not self._shown:
            return
        gone = {(h, f) for h, f in self._shown if not self.shown(h, f)}
        if gone:
            self._shown -= gone
            self.changed.emit()


class RevealReasonDialog(QDialog):
    """Why the officer needs to see a number: a few quick reasons, or their own words."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("revealReason")
        lay = QVBoxLayout(self)
        self.what = QLabel()
        self.what.setWordWrap(True)
        self._what = what
        lay.addWidget(self.what)
        self.quick: list[QPushButton] = []
        for key in ("call_elder", "call_guardian", "dispatch"):
            b = QPushButton()
            b.setObjectName(f"reason_{key}")
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.setProperty("reason_key", key)
            b.clicked.connect(lambda _=False, btn=b: self.text.setText(btn.text()))
            lay.addWidget(b)
            self.quick.append(b)
        self.text = QLineEdit()
        self.text.setObjectName("reason")
        self.text.textChanged.connect(self._enable)
        lay.addWidget(self.text)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#546e7a")
        lay.addWidget(self.hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.retranslate()
        self._enable()
        self.setMinimumWidth(420)
        self.text.setFocus()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Show a number"))
        self.what.setText(
            self.tr("Why do you need to see %1? Your reason is recorded in the journal.").replace(
                "%1", self._what
            )
        )
        words = {
            "call_elder": self.tr("Call the elder back"),
            "call_guardian": self.tr("Contact the guardian"),
            "dispatch": self.tr("Dispatch a responder"),
        }
        for b in self.quick:
            b.setText(words[str(b.property("reason_key"))])
        self.text.setPlaceholderText(self.tr("or write the reason"))
        self.hint.setText(
            self.tr(
                "The number is shown on this console for %n minute(s), then masked again.",
                "",
                privacy.REVEAL_FOR_S // 60,
            )
        )

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def _enable(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(len(self.reason()) >= privacy.REASON_MIN)

    def reason(self) -> str:
        return self.text.text().strip()
