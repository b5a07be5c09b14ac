"""Local operator accounts. Passwords are stored only as argon2id hashes (argon2-cffi).

Sign-ins are counted here, next to the hash: ``login`` increments ``failed_logins`` on a wrong
password and, at ``max_failures`` in a row, locks the account until ``now + lock``; a locked
account refuses even the right password until then. The caller passes ``now_ns`` (the engine's
clock), so tests move time instead of waiting for it."""

from __future__ import annotations

import time
from typing import Any, Final, Literal, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from console.io.store import schema
from console.io.store.errors import classify

ROLES: Final = ("township_officer", "district_officer", "admin")
MIN_PASSWORD: Final = 8
_O = schema.operators
_hasher = PasswordHasher()
# Verified against for unknown ids, so "no such operator" costs as long as "wrong password".
_DUMMY: Final = _hasher.hash("guardian-console-dummy-password")


class Account(NamedTuple):
    """An operator account as the store keeps it (the signed-in operator is console.ui.operator.Operator)."""

    id: str
    name: str
    role: str
    scope: str  # township code, or "*" for the district and admins
    active: bool = True
    failed_logins: int = 0  # wrong passwords in a row
    locked_until_ns: int | None = None  # refuses every sign-in before then
    last_login_ns: int | None = None  # the last good sign-in


LoginStatus = Literal["ok", "wrong", "locked", "disabled"]
DEFAULT_MAX_FAILURES: Final = 5
DEFAULT_LOCK_NS: Final = 15 * 60 * 1_000_000_000


class LoginResult(NamedTuple):
    """What one sign-in attempt came to. ``account`` is None for an id that names no account
    (status "wrong", ``failures`` 0: nothing is counted for it)."""

    status: LoginStatus
    account: Account | None = None
    failures: int = 0  # wrong passwords in a row, this one included
    max_failures: int = DEFAULT_MAX_FAILURES
    locked_until_ns: int | None = None  # set when status is "locked"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _account(row: Any) -> Account:
    return Account(
        row.id,
        row.name,
        row.role,
        row.scope,
        bool(row.active),
        int(row.failed_logins or 0),
        row.locked_until_ns,
        row.last_login_ns,
    )


def validate(id_: str, name: str, role: str, scope: str, password: str) -> None:
    """Raise ValueError with a message an administrator can act on."""
    if not id_ or not id_.strip() or len(id_) > 64 or any(c.isspace() for c in id_):
        raise ValueError("operator id must be 1-64 characters without spaces")
    if not name.strip():
        raise ValueError("operator name must not be empty")
    validate_role(role, scope)
    validate_password(password)


def validate_role(role: str, scope: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if role == "township_officer" and (not scope or scope == "*"):
        raise ValueError("a township_officer needs a township code as scope")
    if role in ("district_officer", "admin") and scope != "*":
        raise ValueError(f"a {role} has scope '*' (the whole district); got {scope!r}")


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must be at least {MIN_PASSWORD} characters")


def add_operator(engine: Engine, id_: str, name: str, role: str, scope: str, password: str) -> Account:
    validate(id_, name, role, scope, password)
    row = {
        "id": id_,
        "name": name.strip(),
        "role": role,
        "scope": scope,
        "pw_hash": _hasher.hash(password),
        "active": True,
        "created_ns": time.time_ns(),
    }
    try:
        with engine.begin() as conn:
            conn.execute(_O.insert().values(**row))
    except IntegrityError as exc:
        raise ValueError(f"operator {id_!r} already exists") from exc
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return Account(id_, name.strip(), role, scope)


def login(
    engine: Engine,
    id_: str,
    password: str,
    *,
    now_ns: int,
    max_failures: int = DEFAULT_MAX_FAILURES,
    lock_ns: int = DEFAULT_LOCK_NS,
    session: bool = False,
) -> LoginResult:
    """One sign-in attempt at ``now_ns``, counted. The hash is verified on every path (a dummy
    one for an unknown id, a locked or a disabled account alike), so the answer takes as long
    whichever it is. Attempts while locked are refused and not counted (the lock does not grow);
    the first attempt after it ran out counts from zero again. ``max_failures`` 0 never locks.
    ``session``: the officer is already signed in on this console and unlocks its idle lock: a
    lock of the account (wrong passwords typed elsewhere) does not keep the console locked."""
    try:
        with engine.connect() as conn:
            row = conn.execute(select(_O).where(_O.c.id == id_)).first()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    stored = row.pw_hash if row is not None else _DUMMY
    try:
        good: bool = _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        good = False
    if row is None:
        return LoginResult("wrong", None, 0, max_failures)
    acct = _account(row)
    until = row.locked_until_ns
    if until is not None and now_ns < until and not session:
        return LoginResult("locked", acct, acct.failed_logins, max_failures, until)
    expired = until is not None  # a lock that has run out: the count starts again
    if not good:
        return _count_failure(engine, id_, acct, now_ns, max_failures, lock_ns, expired)
    if not row.active:
        return LoginResult("disabled", acct, acct.failed_logins, max_failures)
    values: dict[str, Any] = {"failed_logins": 0, "locked_until_ns": None, "last_login_ns": now_ns}
    if _hasher.check_needs_rehash(stored):
        values["pw_hash"] = _hasher.hash(password)
    try:
        with engine.begin() as conn:
            conn.execute(update(_O).where(_O.c.id == id_).values(**values))
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return LoginResult(
        "ok", acct._replace(failed_logins=0, locked_until_ns=None, last_login_ns=now_ns), 0, max_failures
    )


def _count_failure(
    engine: Engine, id_: str, acct: Account, now_ns: int, max_failures: int, lock_ns: int, expired: bool
) -> LoginResult:
    """One more wrong password, counted in the database (``failed_logins + 1``, so two consoles
    on one store do not lose each other's counts), and the lock when it is the last allowed."""
    try:
        with engine.begin() as conn:
            bump = 1 if expired else _O.c.failed_logins + 1
            conn.execute(update(_O).where(_O.c.id == id_).values(failed_logins=bump, locked_until_ns=None))
            failures = int(conn.execute(select(_O.c.failed_logins).where(_O.c.id == id_)).scalar_one())
            until = now_ns + lock_ns if max_failures > 0 and failures >= max_failures else None
            if until is not None:
                conn.execute(update(_O).where(_O.c.id == id_).values(locked_until_ns=until))
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    acct = acct._replace(failed_logins=failures, locked_until_ns=until)
    return LoginResult("locked" if until is not None else "wrong", acct, failures, max_failures, until)


def check_login(engine: Engine, id_: str, password: str, now_ns: int | None = None) -> Account | None:
    """The operator if ``password`` is right and the account active and not locked, else None
    (counted as ``login`` counts; the callers that need to know why use ``login``)."""
    res = login(engine, id_, password, now_ns=time.time_ns() if now_ns is None else now_ns)
    return res.account if res.ok else None


def get_operator(engine: Engine, id_: str) -> Account | None:
    try:
        with engine.connect() as conn:
            row = conn.execute(select(_O).where(_O.c.id == id_)).first()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return None if row is None else _account(row)


def _update(engine: Engine, id_: str, **values: Any) -> bool:
    try:
        with engine.begin() as conn:
            n = conn.execute(update(_O).where(_O.c.id == id_).values(**values)).rowcount
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return bool(n)


def reset_password(engine: Engine, id_: str, password: str) -> bool:
    """A new password; the count and any lock go with the old one."""
    validate_password(password)
    return _update(engine, id_, pw_hash=_hasher.hash(password), failed_logins=0, locked_until_ns=None)


def set_role(engine: Engine, id_: str, role: str, scope: str) -> bool:
    validate_role(role, scope)
    return _update(engine, id_, role=role, scope=scope)


def unlock(engine: Engine, id_: str) -> bool:
    return _update(engine, id_, failed_logins=0, locked_until_ns=None)


def set_active(engine: Engine, id_: str, active: bool) -> bool:
    return _update(engine, id_, active=active)


def list_operators(engine: Engine) -> list[Account]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(_O).order_by(_O.c.id)).all()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return [_account(r) for r in rows]
