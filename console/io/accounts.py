"""Operator accounts as the console and the CLI change them, each change and each failed sign-in
journaled as a ``SystemNote`` (the id, who did it, the role and scope where they matter; never a
password or a hash). The operators screen, the first-start dialog and the lock dialog get an
``Accounts`` from the wiring (console/ui does not import console.io); the store functions below
it (console/io/store/operators.py) do the counting and the locking."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Final

from console.app.ports import JournalError
from console.domain import events as ev
from console.io.store.operators import ROLES, Account, LoginResult

log = logging.getLogger(__name__)

CONSOLE: Final = "operators"  # the journal's console column for these notes (as "register-import")
FIRST_START: Final = "first-start"  # ``by`` of the administrator made at the first start


class Accounts:
    """The account operations, over one store, at the times ``now_ns`` gives (the engine's clock
    in the console, so tests move a fake one)."""

    roles: Final = ROLES

    def __init__(
        self,
        store: Any,
        now_ns: Callable[[], int],
        *,
        max_failures: int = 5,
        lock_min: float = 15.0,
        console: str = CONSOLE,
    ) -> None:
        self.store = store
        self.now_ns = now_ns
        self.max_failures = max_failures
        self.lock_ns = int(lock_min * 60 * 1_000_000_000)
        self.console = console

    # --- signing in ---------------------------------------------------------------------------

    def sign_in(self, id_: str, password: str) -> LoginResult:
        """One attempt, counted; a refused one is journaled (``login_failed``)."""
        res: LoginResult = self.store.login(
            id_, password, now_ns=self.now_ns(), max_failures=self.max_failures, lock_ns=self.lock_ns
        )
        if not res.ok:
            detail: dict[str, Any] = {
                "id": id_ if res.account is not None else "unknown",
                "status": res.status,
                "count": res.failures,
            }
            if res.locked_until_ns is not None:
                detail["locked_until"] = res.locked_until_ns
            log.info("sign-in refused: %s", detail)
            try:
                self.note("login_failed", detail)
            except JournalError:  # the refusal and its count stand (they are in the store)
                log.exception("login_failed not journaled: %s", detail)
        return res

    def unlock_session(self, id_: str, password: str) -> LoginResult:
        """The signed-in officer's password at the idle lock. Wrong ones are counted and
        journaled (``unlock_failed``) but never lock the account, and a lock of the account
        does not refuse the right one: a console locked out while alarms come in, with nobody
        able to act on them, is worse than a guesser at a console in the duty room (each guess
        is on the record)."""
        res: LoginResult = self.store.login(
            id_, password, now_ns=self.now_ns(), max_failures=0, lock_ns=self.lock_ns, session=True
        )
        if not res.ok:
            detail: dict[str, Any] = {"id": id_, "status": res.status, "count": res.failures}
            log.info("idle unlock refused: %s", detail)
            try:
                self.note("unlock_failed", detail)
            except JournalError:
                log.exception("unlock_failed not journaled: %s", detail)
        return res

    def check_login(self, id_: str, password: str) -> Account | None:
        """``sign_in`` for the callers that need only the account (or None)."""
        res = self.sign_in(id_, password)
        return res.account if res.ok else None

    # --- administration -----------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        return list(self.store.list_operators())

    def has_accounts(self) -> bool:
        return bool(self.store.list_operators())

    def add_first_admin(self, id_: str, name: str, password: str) -> Account:
        """The first administrator, only while there are no accounts at all."""
        if self.has_accounts():
            raise ValueError("there are operator accounts already; an administrator adds the next")
        return self.add(FIRST_START, id_, name, "admin", "*", password)

    def _check_scope(self, scope: str) -> None:
        """A township officer's scope must be a township of the stored register (when there is
        one): a typo would give an officer a queue that stays empty."""
        if scope in ("", "*"):
            return
        register = self.store.load_register()
        if register is None or not len(register):
            return
        townships = {h.township for h in register.households.values()}
        if scope not in townships:
            known = ", ".join(sorted(townships)[:12])
            raise ValueError(f"no household of the register is in township {scope!r} (townships: {known})")

    def add(self, by: str, id_: str, name: str, role: str, scope: str, password: str) -> Account:
        self._check_scope(scope)
        acct: Account = self.store.add_operator(id_, name, role, scope, password)
        self.note("operator_added", {"id": acct.id, "role": acct.role, "scope": acct.scope, "by": by})
        return acct

    def set_active(self, by: str, id_: str, active: bool) -> None:
        acct = self._get(id_)
        if not active:
            self._keep_an_admin(acct, "disable")
        if not self.store.set_operator_active(id_, active):
            raise ValueError(f"no operator {id_!r}")
        self.note("operator_enabled" if active else "operator_disabled", {"id": id_, "by": by})

    def reset_password(self, by: str, id_: str, password: str) -> None:
        self._get(id_)
        if not self.store.reset_operator_password(id_, password):
            raise ValueError(f"no operator {id_!r}")
        self.note("operator_password_reset", {"id": id_, "by": by})

    def set_role(self, by: str, id_: str, role: str, scope: str) -> None:
        acct = self._get(id_)
        self._check_scope(scope)
        if role != "admin":
            self._keep_an_admin(acct, "take the admin role from")
        if not self.store.set_operator_role(id_, role, scope):
            raise ValueError(f"no operator {id_!r}")
        self.note("operator_role_changed", {"id": id_, "role": role, "scope": scope, "by": by})

    def unlock(self, by: str, id_: str) -> None:
        self._get(id_)
        if not self.store.unlock_operator(id_):
            raise ValueError(f"no operator {id_!r}")
        self.note("operator_unlocked", {"id": id_, "by": by})

    # --- the journal --------------------------------------------------------------------------

    def note(self, what: str, detail: dict[str, Any]) -> None:
        """Append ``SystemNote(what, detail as JSON)``; durable on return (JournalError if not)."""
        at = self.now_ns()
        note = ev.SystemNote(at=at, what=what, detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))
        self.store.journal.append([(at, "system", "sys", ev.key_of(note), ev.encode(note))], self.console)

    def _get(self, id_: str) -> Account:
        acct: Account | None = self.store.get_operator(id_)
        if acct is None:
            raise ValueError(f"no operator {id_!r}")
        return acct

    def _keep_an_admin(self, acct: Account, doing: str) -> None:
        """Refuse to leave the console with no active administrator (nobody could manage it)."""
        if acct.role != "admin" or not acct.active:
            return
        others = [
            a for a in self.store.list_operators() if a.role == "admin" and a.active and a.id != acct.id
        ]
        if not others:
            raise ValueError(f"cannot {doing} the last active administrator")
