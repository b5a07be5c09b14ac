"""Embedded MQTT broker (amqtt) for demo and training, on loopback only.

Why a password file and not ``allow_anonymous``: amqtt 0.12 marks every session that got in
through ``AnonymousAuthPlugin(allow_anonymous=True)`` as anonymous, and its broadcast loop
(``Broker._run_broadcast``) never queues QoS 1 messages for an anonymous session while it
is offline; the session monitor even deletes such sessions on disconnect. So a console
restarting during a drill would silently miss alarms. With ``FileAuthPlugin`` and demo
credentials the session is not anonymous and ``clean_session=False`` queues as it should.

Limits of amqtt 0.12 that Mosquitto does not have (see docs/broker.md): sessions live in
memory only (a broker restart forgets them), and a QoS 1 message that was sent but not
acknowledged when the console dropped is not redelivered (``_handle_qos1_message_flow``
discards it when its PUBACK waiter is cancelled or times out after 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEMO_USERNAME = "guardian-demo"
DEMO_PASSWORD = "guardian-demo"
LOOPBACK = "127.0.0.1"


def write_password_file(path: Path, username: str, password: str) -> Path:
    """amqtt's FileAuthPlugin format: ``user:argon2-hash`` per line."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    hashed = PasswordHash((Argon2Hasher(),)).hash(password)
    path.write_text(f"{username}:{hashed}\n", encoding="utf-8")
    return path


class EmbeddedBroker:
    """An amqtt broker on 127.0.0.1 in a thread with its own event loop."""

    host = LOOPBACK

    def __init__(
        self,
        port: int = 0,
        data_dir: str | Path | None = None,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
    ) -> None:
        self.port = port  # 0: a free port is picked at start and kept for restarts
        self.username = username
        self.password = password
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="guardian-broker-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._stopped: asyncio.Event | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def config(self) -> dict[str, Any]:
        pwfile = self.data_dir / "passwd"
        if not pwfile.exists():
            write_password_file(pwfile, self.username, self.password)
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{LOOPBACK}:{self.port}"}},
            "timeout_disconnect_delay": 0,
            "plugins": {"amqtt.plugins.authentication.FileAuthPlugin": {"password_file": str(pwfile)}},
        }

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            raise RuntimeError("broker already running")
        started: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._thread_main, args=(started,), name="amqtt-broker", daemon=True
        )
        self._thread.start()
        started.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        thread, loop, stopped = self._thread, self._loop, self._stopped
        if thread is None or loop is None or stopped is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stopped.set)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("embedded broker did not stop within %.1f s", timeout)
        self._thread = None

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _thread_main(self, started: Future[None]) -> None:
        loop = asyncio.SelectorEventLoop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(started))
        except Exception as exc:
            if not started.done():
                started.set_exception(exc)
            else:
                log.exception("embedded broker crashed")
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    async def _serve(self, started: Future[None]) -> None:
        from amqtt.broker import Broker  # type: ignore[import-untyped]

        self._stopped = asyncio.Event()
        broker = Broker(self.config())
        writers: list[asyncio.StreamWriter] = []
        accept = broker.stream_connected

        async def tracked(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
        ) -> None:
            writers.append(writer)
            await accept(reader, writer, listener_name)

        broker.stream_connected = tracked  # amqtt leaves some transports open: close them at stop
        await broker.start()
        self._broker = broker
        server = broker._servers["default"].instance
        self.port = int(server.sockets[0].getsockname()[1])
        started.set_result(None)
        try:
            await self._stopped.wait()
        finally:
            await broker.shutdown()
            self._broker = None
            for writer in writers:
                writer.close()
            await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
            current = asyncio.current_task()
            rest = [t for t in asyncio.all_tasks() if t is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
