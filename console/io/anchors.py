"""Signed anchors: the journal's head (seq, hash) witnessed outside the database.

A hash chain alone cannot show a cut-off tail or a suffix edited and re-hashed: whoever can
write the file can do either. A running console therefore appends, to a file next to its
journal, a signed line naming the head it has seen — at start, every ``EVERY_RECORDS`` records
or ``EVERY_S`` seconds while records come in, and at every clean stop. ``audit verify``
(console/io/store/verify.py) checks the journal against each line.

The signature is HMAC-SHA256 with a key kept in the data dir (``anchor.key``, 0600, made on
first use), not in the database: the ``cryptography`` package (Ed25519) is not a dependency of
this build. An HMAC means the verifier needs the same key, and whoever holds the key could
forge anchors; each line names the key by its id so verify can say "signed by an unknown key".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NamedTuple

log = logging.getLogger(__name__)

EVERY_RECORDS: Final = 1000
EVERY_S: Final = 300.0
MIN_GAP_S: Final = 1.0  # at most one anchor (one fsync) a second, however fast records come
KEY_NAME: Final = "anchor.key"
SUFFIX: Final = ".anchors.jsonl"
VERIFIED_SUFFIX: Final = ".verified.jsonl"


def anchors_path(store: Any) -> Path:
    """``<journal>.anchors.jsonl`` next to a SQLite journal; for a database URL, a file named by
    the journal's tag in the data dir (each workstation keeps its own)."""
    path = getattr(store, "path", None)
    if path is not None:
        p = Path(path)
        return p.with_name(p.name + SUFFIX)
    from console.io.unwritten import journal_tag
    from console.paths import data_dir

    return data_dir() / f"anchors-{journal_tag(str(store.url))}.jsonl"


def verified_path(store: Any) -> Path:
    """``<journal>.verified.jsonl`` beside the anchors: the signed heads that passing ``audit
    verify`` runs reached (``--resume`` walks only after the newest the journal still matches)."""
    p = anchors_path(store)
    return p.with_name(
        p.name[: -len(SUFFIX)] + VERIFIED_SUFFIX if p.name.endswith(SUFFIX) else p.name + VERIFIED_SUFFIX
    )


def key_path() -> Path:
    from console.paths import data_dir

    return data_dir() / KEY_NAME


def load_key(path: Path, create: bool) -> bytes | None:
    """The key in ``path`` (hex); made with mode 0600 when absent and ``create``."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another console made it meanwhile
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"guardian-anchor-key\x1f" + key).hexdigest()[:16]


def sign(key: bytes, seq: int, hash_: str, at_ns: int, console: str) -> str:
    msg = b"\x1f".join([b"anchor-v1", b"%d" % seq, hash_.encode("ascii"), b"%d" % at_ns, console.encode()])
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")


class Anchor(NamedTuple):
    line: int
    seq: int
    hash: str
    at_ns: int
    console: str
    key: str
    sig: str


def encode(key: bytes, seq: int, hash_: str, at_ns: int, console: str) -> bytes:
    d = {
        "seq": seq,
        "hash": hash_,
        "at": iso(at_ns),
        "at_ns": at_ns,
        "console": console,
        "key": key_id(key),
        "sig": sign(key, seq, hash_, at_ns, console),
    }
    return json.dumps(d, separators=(",", ":")).encode("ascii") + b"\n"


class AnchorFile(NamedTuple):
    anchors: list[Anchor]
    problems: list[str]  # lines that cannot be read
    notes: list[str]


def parse(raw: bytes, line: int) -> Anchor:
    """One anchor line (raises ValueError, KeyError or TypeError when it is not one)."""
    d = json.loads(raw)
    return Anchor(
        line,
        int(d["seq"]),
        str(d["hash"]),
        int(d["at_ns"]),
        str(d["console"]),
        str(d["key"]),
        str(d["sig"]),
    )


def read_anchors(path: Path) -> AnchorFile:
    """Every line of ``path``. A last line without its newline was cut by a crash as it was
    written (it never witnessed anything): a note, not a problem."""
    out = AnchorFile([], [], [])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return out
    lines = data.split(b"\n")
    for i, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            a = parse(raw, i)
        except (ValueError, KeyError, TypeError):
            if i == len(lines):
                out.notes.append(f"anchors line {i}: cut off as it was written (ignored)")
            else:
                out.problems.append(f"anchors line {i}: cannot be read")
            continue
        out.anchors.append(a)
    return out


def authentic(a: Anchor, key: bytes | None) -> str | None:
    """None when ``a`` is signed by ``key``; else what is wrong with it."""
    if key is None or a.key != key_id(key):
        return f"anchors line {a.line} (seq {a.seq}): signed by an unknown key {a.key}"
    if not hmac.compare_digest(a.sig, sign(key, a.seq, a.hash, a.at_ns, a.console)):
        return f"anchors line {a.line} (seq {a.seq}): bad signature"
    return None


class AnchorWriter:
    """Appends signed heads on its own thread; the engine thread only counts records."""

    def __init__(
        self,
        path: Path,
        key: bytes,
        console: str,
        head: Callable[[], tuple[int, str] | None],
        now_ns: Callable[[], int],
        every_records: int = EVERY_RECORDS,
        every_s: float = EVERY_S,
    ) -> None:
        self.path, self.key, self.console = path, key, console
        self._head, self._now_ns = head, now_ns
        self.every_records, self.every_s = every_records, every_s
        self._count = 0
        self._last_seq = -1
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # one writer of the file at a time (thread and stop)
        self._thread: threading.Thread | None = None
        # a copy of every line for the bus, published retained (``anchor_topic``): other consoles
        # and the bridge hold the newest; set by bootstrap once the bus exists
        self.publish: Callable[[bytes], Any] | None = None

    def noted(self, n: int) -> None:
        """``n`` more records journaled (engine thread: a counter, never I/O)."""
        self._count += n
        if self._count >= self.every_records:
            self._due.set()

    def start(self) -> None:
        self.write()
        self._thread = threading.Thread(target=self._run, name="anchors", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """After the engine has stopped, before the store closes: the last head, then done."""
        self._stopping.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.write()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._due.wait(self.every_s)
            if self._stopping.is_set():
                return
            self._due.clear()
            self._count = 0
            self.write()
            self._stopping.wait(MIN_GAP_S)

    def write(self) -> None:
        """Append the current head if it moved. Failures are logged: anchors never stop a console."""
        with self._lock:
            try:
                head = self._head()
                if head is None or head[0] == self._last_seq:
                    return
                line = encode(self.key, head[0], head[1], self._now_ns(), self.console)
                self._append(line)
                self._last_seq = head[0]
                if self.publish is not None:
                    self.publish(line.rstrip(b"\n"))
            except Exception:  # noqa: BLE001 - a witness, not the journal
                log.exception("anchor write failed (%s)", self.path)

    def _append(self, line: bytes) -> None:
        # One write() on O_APPEND, one fsync: the line lands whole or (a crash) as a cut-off last
        # line, which the next write drops. A rewrite (temp + os.replace) would copy the whole,
        # ever-growing file at each anchor.
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            whole = _whole_lines(fd, size)
            if whole != size:
                log.warning("anchors file %s ended in a cut-off line (a crash): dropped", self.path)
                os.ftruncate(fd, whole)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def _whole_lines(fd: int, size: int) -> int:
    """The length of ``fd``'s content up to and including its last newline."""
    if size == 0:
        return 0
    n = min(size, 4096)
    tail = os.pread(fd, n, size - n)
    if tail.endswith(b"\n"):
        return size
    i = tail.rfind(b"\n")
    return size - n + i + 1 if i >= 0 else (size - n if n < size else 0)


def anchor_topic(district: str, console: str) -> str:
    """Where a console's newest anchor is kept, retained, on the bus."""
    return f"guard/v1/anchor/{district}/{console}"


def from_bus(
    host: str,
    port: int,
    district: str,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> list[Anchor]:
    """The retained anchors of every console of ``district`` the broker holds. All of them have
    arrived once a marker published after the subscription does (the broker sends a
    subscription's retained messages before it handles our next packet)."""
    import uuid

    import paho.mqtt.client as mqtt

    got: list[bytes] = []
    done = threading.Event()
    marker_topic = f"guard/v1/anchor-probe/{uuid.uuid4().hex}"
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"audit-{uuid.uuid4().hex[:8]}")
    if username:
        c.username_pw_set(username, password)

    def on_message(_c: Any, _u: Any, m: Any) -> None:
        if m.topic == marker_topic:
            done.set()
        elif m.retain:
            got.append(bytes(m.payload))

    subscribed = threading.Event()
    c.on_message = on_message
    c.on_subscribe = lambda *_: subscribed.set()
    c.connect(host, port, keepalive=30)
    c.loop_start()
    try:
        c.subscribe([(f"guard/v1/anchor/{district}/+", 1), (marker_topic, 1)])
        if not subscribed.wait(timeout):
            raise OSError(f"no SUBACK from {host}:{port}")
        c.publish(marker_topic, b"end", qos=1)
        if not done.wait(timeout):
            raise OSError(f"the broker at {host}:{port} did not answer within {timeout:g} s")
    finally:
        c.disconnect()
        c.loop_stop()
    return read_lines(got, "bus")


def read_lines(lines: list[bytes], where: str) -> list[Anchor]:
    """Anchor lines from elsewhere (the bus's retained copies); one that cannot be read is logged."""
    out = []
    for i, raw in enumerate(lines, 1):
        try:
            out.append(parse(raw, i))
        except (ValueError, KeyError, TypeError):
            log.warning("%s anchor %d cannot be read", where, i)
    return out


def writer_for(store: Any, console: str, now_ns: Callable[[], int]) -> AnchorWriter | None:
    """The console's anchor writer for ``store`` (None for a read-only store)."""
    if getattr(store, "readonly", False) or not hasattr(store, "url"):
        return None
    journal = store.journal

    def head() -> tuple[int, str] | None:
        last = journal.last()
        return None if last is None else (last.seq, last.hash)

    try:
        key = load_key(key_path(), create=True)
        path = anchors_path(store)
    except (OSError, ValueError):
        log.exception("no anchor key: this run writes no anchors")
        return None
    return AnchorWriter(path, key or b"", console, head, now_ns)
