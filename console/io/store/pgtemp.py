"""A throwaway PostgreSQL cluster (initdb in a temp dir, Unix socket only) for tests and benches.

Standard library only at import time. initdb refuses to run as root, so as root every server
command runs as the ``postgres`` system user through ``runuser``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final

PORT: Final = 5432  # only names the socket file: the socket directory is private to this cluster


def find_bin_dir() -> Path | None:
    """The directory holding initdb / pg_ctl: $PG_BIN, PATH, or /usr/lib/postgresql/<newest>/bin."""
    env = os.environ.get("PG_BIN")
    candidates = [Path(env)] if env else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True
        )
        candidates += [v / "bin" for v in versions]
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    return None


def unavailable_reason() -> str | None:
    """Why a temp cluster cannot be started here, or None if it can."""
    if find_bin_dir() is None:
        return "PostgreSQL server binaries not found (install postgresql-15 or set PG_BIN)"
    if os.name != "posix":
        return "temporary PostgreSQL clusters are only supported on POSIX"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' system user for initdb"
    if importlib.util.find_spec("psycopg2") is None:
        return "psycopg2 is not installed"
    return None


class TempPostgres:
    """``with TempPostgres() as pg: url = pg.url`` — a private server, removed on exit.

    ``durable=False`` turns fsync off (tests); the journal bench uses ``durable=True``.
    """

    def __init__(self, *, durable: bool = False, dbname: str = "guardian") -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        self.bin = bin_dir
        self.durable = durable
        self.dbname = dbname
        self.base = Path(tempfile.mkdtemp(prefix="guardian-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._as_root = os.geteuid() == 0
        self._started = False
        self._n = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    @property
    def socket_dir(self) -> str:
        return str(self.base)

    def url_for(self, dbname: str) -> str:
        return f"postgresql+psycopg2://postgres@/{dbname}?host={self.base}&port={PORT}"

    @property
    def url(self) -> str:
        return self.url_for(self.dbname)

    def start(self) -> str:
        if self._as_root:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        opts = [f"-p {PORT}", f"-k {self.base}", "-c listen_addresses=''", "-c max_connections=40"]
        if not self.durable:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        try:
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                "-o", " ".join(opts), "start",
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {exc.stderr}\n{tail}") from exc
        self._started = True
        self.create_database(self.dbname)
        return self.url

    def create_database(self, name: str | None = None) -> str:
        """A new empty database on this server; returns its URL."""
        import psycopg2  # type: ignore[import-untyped]

        if name is None:
            self._n += 1
            name = f"t{os.getpid()}_{self._n}_{time.monotonic_ns() % 1_000_000}"
        conn = psycopg2.connect(host=str(self.base), port=PORT, user="postgres", dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url_for(name)

    def stop(self) -> None:
        if self._started:
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
            self._started = False
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
