"""A loopback TCP proxy whose links can be frozen: a dead path with no reset, for the tests.

``freeze()`` makes every link open at that moment stop forwarding in both directions while
its sockets stay open: nothing is read or written any more, so the kernel buffers fill and no
FIN or RST reaches either side (a hung NAT, middlebox or broker). Links accepted later
forward normally, so a client that notices can reconnect through the same proxy.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

from console.app.changes import Changes

LOOPBACK = "127.0.0.1"
CHUNK = 65536


@dataclass
class _Side:
    sock: socket.socket
    out: bytearray = field(default_factory=bytearray)  # read from the peer, not yet written here
    peer: _Side | None = None
    link: int = 0
    upstream: bool = False  # the broker's end


class FreezingProxy:
    """Forwards ``127.0.0.1:port`` to ``upstream_port``, one thread, non-blocking sockets."""

    def __init__(self, upstream_port: int, upstream_host: str = LOOPBACK) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.changes = Changes()  # bumped when a link opens, closes or is frozen
        self.accepted = 0
        self.closed = 0
        self.frozen_links: list[_Side] = []
        self.frozen_at: float | None = None  # time.monotonic() of the last freeze
        self._armed: bytes | None = None  # freeze right after forwarding a chunk ending so
        self._sel = selectors.DefaultSelector()
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._listener, selectors.EVENT_READ, "accept")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._lock = threading.Lock()
        self._commands: list[tuple[str, threading.Event | None]] = []
        self._sides: dict[int, _Side] = {}  # fileno -> side, forwarding links only
        self._thread = threading.Thread(target=self._run, name="freezing-proxy", daemon=True)
        self._thread.start()

    # --- any thread -----------------------------------------------------------------------

    def freeze(self) -> float:
        """Freeze every open link; returns the moment (time.monotonic) it took effect."""
        done = threading.Event()
        self._command("freeze", done)
        if not done.wait(5):
            raise AssertionError("proxy thread did not freeze its links")
        assert self.frozen_at is not None
        return self.frozen_at

    def freeze_after(self, marker: bytes) -> None:
        """Freeze as soon as a chunk from the broker that ends with ``marker`` was passed on
        (e.g. a PINGRESP on an idle link: the worst moment for the client's keepalive)."""
        with self._lock:
            self._armed = marker

    def close(self) -> None:
        self._command("stop", None)
        self._thread.join(5)
        for side in self.frozen_links:
            with contextlib.suppress(OSError):
                side.sock.close()
        self.frozen_links = []

    def open_links(self) -> int:
        with self._lock:
            return len(self._sides) // 2

    def _command(self, what: str, done: threading.Event | None) -> None:
        with self._lock:
            self._commands.append((what, done))
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # --- the proxy thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                for key, events in self._sel.select():
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            self._wake_r.recv(4096)
                        if self._run_commands():
                            return
                    else:
                        side = self._sides.get(key.fd)
                        if side is not None:
                            self._pump(side, events)
        finally:
            for side in list(self._sides.values()):
                with contextlib.suppress(OSError):
                    side.sock.close()
            self._sides.clear()
            self._sel.close()
            self._listener.close()
            self._wake_r.close()
            self._wake_w.close()

    def _run_commands(self) -> bool:
        with self._lock:
            commands, self._commands = self._commands, []
        for what, done in commands:
            if what == "stop":
                return True
            if what == "freeze":
                self._freeze()
                if done is not None:
                    done.set()
        return False

    def _freeze(self) -> None:
        for fd, side in list(self._sides.items()):
            self._sel.unregister(side.sock)  # never read or written again; left open
            self.frozen_links.append(side)
            with self._lock:
                del self._sides[fd]
        self.frozen_at = time.monotonic()
        self.changes.bump()

    def _accept(self) -> None:
        try:
            down, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            up = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            down.close()
            return
        self.accepted += 1
        a, b = _Side(down, link=self.accepted), _Side(up, link=self.accepted, upstream=True)
        a.peer, b.peer = b, a
        for side in (a, b):
            side.sock.setblocking(False)
            side.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sides[side.sock.fileno()] = side
            self._sel.register(side.sock, selectors.EVENT_READ)
        self.changes.bump()

    def _pump(self, side: _Side, events: int) -> None:
        peer = side.peer
        assert peer is not None
        try:
            if events & selectors.EVENT_READ:
                data = side.sock.recv(CHUNK)
                if not data:
                    raise ConnectionResetError("closed by its end")
                peer.out += data
                self._flush(peer)
                with self._lock:
                    marker = self._armed
                if marker is not None and side.upstream and not peer.out and data.endswith(marker):
                    with self._lock:
                        self._armed = None
                    self._freeze()
                    return
            if events & selectors.EVENT_WRITE:
                self._flush(side)
        except OSError:
            self._drop(side)

    def _flush(self, side: _Side) -> None:
        if side.out:
            try:
                sent = side.sock.send(side.out)
            except BlockingIOError:
                sent = 0
            del side.out[:sent]
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if side.out else 0)
        self._sel.modify(side.sock, mask)

    def _drop(self, side: _Side) -> None:
        for s in (side, side.peer):
            if s is None:
                continue
            with self._lock:
                found = self._sides.pop(s.sock.fileno(), None)
            if found is not None:
                self._sel.unregister(s.sock)
                with contextlib.suppress(OSError):
                    s.sock.close()
        self.closed += 1
        self.changes.bump()
