"""A service's keys (the gateway's provider keys, the bridge's platform tokens): from the
environment, the OS keyring, or a keys file only the service reads.

Looked up in that order for a provider ``p`` and key ``k`` (e.g. aliyun / access_key_secret):
the variable ``GUARDIAN_{P}_{K}`` (``GUARDIAN_ALIYUN_ACCESS_KEY_SECRET``); the OS keyring
through the ``keyring`` package (Windows Credential Manager, the Secret Service, the macOS
Keychain; service ``guardian-gateway`` or ``guardian-bridge``, user ``{p}.{k}``; no usable
backend: skipped); the keys file (TOML, a table per provider: ``[aliyun] access_key_secret = "..."``),
which must not be readable or writable by group or other (the gateway refuses to start
otherwise: ``chmod 600``). A secret is a ``Secret``: its repr and str are ``***``, so it cannot
end up in a log line, a receipt, the outbox or an exception message by accident; ``Redactor``
is a logging filter that also replaces every known secret value in every record's message.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "GUARDIAN_"
KEYRING_SERVICE = "guardian-gateway"


class SecretError(Exception):
    """A keys file that is too open or unreadable, a key that is missing: the message says which
    and how to fix it, never the value."""


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Only for the request's signature."""
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def env_name(provider: str, key: str) -> str:
    return f"{ENV_PREFIX}{provider}_{key}".upper().replace("-", "_")


def check_keys_file(path: Path) -> dict[str, Any]:
    """The keys file's tables; SecretError when it is open to group / other or unreadable."""
    try:
        st = path.stat()
    except OSError as exc:
        raise SecretError(f"keys file {path}: {exc.strerror}") from None
    if sys.platform != "win32" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"keys file {path} is readable or writable by group or other"
            f" (mode {stat.S_IMODE(st.st_mode):o}); run: chmod 600 {path}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"keys file {path}: cannot read it ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        # the parser's message may quote the line, i.e. a secret: say where only
        raise SecretError(f"keys file {path}: not valid TOML (line {getattr(exc, 'lineno', '?')})") from None
    return data


class SecretStore:
    def __init__(
        self,
        keys_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        use_keyring: bool = True,
        service: str = KEYRING_SERVICE,
    ) -> None:
        self.service = service
        self._env = os.environ if env is None else env
        self._file: dict[str, Any] = check_keys_file(keys_file) if keys_file is not None else {}
        self._keyring: Any = None
        if use_keyring:
            try:
                import keyring  # type: ignore[import-not-found,unused-ignore]

                self._keyring = keyring
            except Exception:  # optional: not installed, or no backend
                self._keyring = None
        self.known: list[str] = []  # every value handed out (for the Redactor)

    def get(self, provider: str, key: str) -> Secret | None:
        value = self._env.get(env_name(provider, key))
        if not value and self._keyring is not None:
            try:
                value = self._keyring.get_password(self.service, f"{provider}.{key}")
            except Exception:
                value = None
        if not value:
            table = self._file.get(provider)
            if isinstance(table, dict) and isinstance(table.get(key), str):
                value = table[key]
        if not value:
            return None
        if value not in self.known:
            self.known.append(value)
        return Secret(value)

    def require(self, provider: str, key: str) -> Secret:
        s = self.get(provider, key)
        if s is None:
            raise SecretError(
                f"no {key} for provider {provider}: set {env_name(provider, key)}, the keyring"
                f" entry {self.service}/{provider}.{key}, or [{provider}] {key} in the keys file"
            )
        return s


class Redactor(logging.Filter):
    """Replaces every known secret value in a record's message (and its args) with ***."""

    def __init__(self, store: SecretStore) -> None:
        super().__init__()
        self._store = store

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [s for s in self._store.known if len(s) >= 4]
        if not secrets:
            return True
        msg = record.getMessage()
        clean = msg
        for s in secrets:
            clean = clean.replace(s, "***")
        if clean != msg:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for s in secrets:
                text = text.replace(s, "***")
            record.exc_text, record.exc_info = text, None
        return True


def install_redactor(store: SecretStore) -> Redactor:
    """On every handler of the root logger (a filter on a logger misses its children's records)."""
    r = Redactor(store)
    for h in logging.getLogger().handlers:
        h.addFilter(r)
    return r
