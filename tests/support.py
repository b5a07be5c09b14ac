"""Constants and test doubles shared by every test folder (unit, integration, gui, e2e).

Standard library and ``console.app`` / ``console.domain`` only: the no-Qt unit run imports this
module, so nothing here may pull in Qt, SQLAlchemy or an MQTT library.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing this module loads nothing of the console
    from console.app.delta import Delta
    from console.domain.effects import Alert, CommandRefused

T0 = 1_795_831_200_000_000_000  # 2026-11-28 10:00 +08:00 (a winter Saturday morning), in ns
NS = 1_000_000_000
WAIT_S = 5.0


@dataclass(frozen=True)
class Msg:
    """A bus message as the engine receives it (``submit_bus``)."""

    topic: str
    payload: bytes
    received_at: int = 0  # the bus client's stamp (0: none, the engine stamps it)


class Sink:
    """The engine's UI sink: records every delta; ``cond`` is notified on each one."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.deltas: list[Delta] = []

    def deliver(self, delta: Delta) -> None:
        with self.cond:
            self.deltas.append(delta)
            self.cond.notify_all()

    def alerts(self) -> list[Alert]:
        with self.cond:
            return [a for d in self.deltas for a in d.alerts]

    def refusals(self) -> list[CommandRefused]:
        with self.cond:
            return [r for d in self.deltas for r in d.refusals]

    def wait_alert(self, kind: str, timeout: float = WAIT_S) -> Alert:
        """The first alert of ``kind`` delivered so far, waiting for one until ``timeout``."""

        def found() -> Alert | None:
            return next((a for d in self.deltas for a in d.alerts if a.kind == kind), None)

        with self.cond:
            assert self.cond.wait_for(lambda: found() is not None, timeout), f"no {kind} alert"
            a = found()
            assert a is not None
            return a


class Publisher:
    """The engine's publisher: records every (topic, payload, qos) it is asked to send. With
    ``ack`` (the default) the broker acknowledges each at once; without, the acknowledgements
    wait in ``unacked`` until ``ack_all()``. ``room``: how many more it takes before refusing
    (a full outbox); None: no limit."""

    def __init__(
        self, ack: bool = True, room: int | None = None, gateway: Callable[[list[Msg]], None] | None = None
    ) -> None:
        # ``gateway``: handed, for each notification request the broker acknowledged, the
        # "accepted" receipt a gateway whose provider took it at once would publish
        self.gateway = gateway
        self.sent: list[tuple[str, bytes, int]] = []
        self.unacked: list[Callable[[], None]] = []
        self.refused = 0
        self.ack = ack
        self.room = room
        self._lock = threading.Lock()

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, on_acked: Callable[[], None] | None = None
    ) -> bool:
        with self._lock:
            if self.room is not None:
                if self.room <= 0:
                    self.refused += 1
                    return False
                self.room -= 1
            self.sent.append((topic, payload, qos))
            if on_acked is not None and not self.ack:
                self.unacked.append(on_acked)
                return True
        if on_acked is not None:
            on_acked()
        if self.gateway is not None and topic.endswith("/req"):
            from console.domain.codec import NotifyRequest, Receipt, decode_notify, encode_receipt

            req = decode_notify(payload)
            if isinstance(req, NotifyRequest):
                receipt = encode_receipt(Receipt(req.req, "accepted", provider="sim"))
                self.gateway([Msg(topic[: -len("/req")] + "/receipt", receipt)])
        return True

    def ack_all(self) -> int:
        with self._lock:
            todo, self.unacked = self.unacked, []
        for fn in todo:
            fn()
        return len(todo)
