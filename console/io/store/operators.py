"""Local operator accounts. Passwords are stored only as argon2id hashes (argon2-cffi)."""

from __future__ import annotations

import time
from typing import Final, NamedTuple

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


def validate(id_: str, name: str, role: str, scope: str, password: str) -> None:
    """Raise ValueError with a message an administrator can act on."""
    if not id_ or not id_.strip() or len(id_) > 64 or any(c.isspace() for c in id_):
        raise ValueError("operator id must be 1-64 characters without spaces")
    if not name.strip():
        raise ValueError("operator name must not be empty")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if role == "township_officer" and (not scope or scope == "*"):
        raise ValueError("a township_officer needs a township code as scope")
    if role in ("district_officer", "admin") and scope != "*":
        raise ValueError(f"a {role} has scope '*' (the whole district); got {scope!r}")
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


def check_login(engine: Engine, id_: str, password: str) -> Account | None:
    """The operator if ``password`` is right and the account active, else None."""
    try:
        with engine.connect() as conn:
            row = conn.execute(select(_O).where(_O.c.id == id_)).first()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    stored = row.pw_hash if row is not None else _DUMMY
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if _hasher.check_needs_rehash(stored):
        try:
            with engine.begin() as conn:
                conn.execute(update(_O).where(_O.c.id == id_).values(pw_hash=_hasher.hash(password)))
        except (DBAPIError, OSError):
            pass  # a stale hash is still a valid hash; the login stands
    return Account(row.id, row.name, row.role, row.scope, bool(row.active))


def set_active(engine: Engine, id_: str, active: bool) -> bool:
    try:
        with engine.begin() as conn:
            n = conn.execute(update(_O).where(_O.c.id == id_).values(active=active)).rowcount
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return bool(n)


def list_operators(engine: Engine) -> list[Account]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(_O).order_by(_O.c.id)).all()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return [Account(r.id, r.name, r.role, r.scope, bool(r.active)) for r in rows]
