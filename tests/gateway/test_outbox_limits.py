"""The outbox and the limits as units: an injected clock, nothing sleeps."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.gateway.limits import DAY, HOUR, MINUTE, Limit, Limits
from console.gateway.outbox import Attempt, Outbox

T0 = 1_800_000_000 * 1_000_000_000


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    ob = Outbox(tmp_path / "outbox.sqlite")
    try:
        yield ob
    finally:
        ob.close()


def test_outbox_is_wal_and_synchronous_full(outbox: Outbox) -> None:
    mode = outbox.submit(lambda db: db.execute("PRAGMA journal_mode").fetchone()[0]).result()
    sync = outbox.submit(lambda db: db.execute("PRAGMA synchronous").fetchone()[0]).result()
    assert mode == "wal" and sync == 2  # FULL


def test_a_request_is_new_once(outbox: Outbox) -> None:
    row = ("I1-C1-sms-1", b"{}", "13800138000", "sms", T0)
    assert outbox.add_requests([row]).result() == [True]
    assert outbox.add_requests([row, ("I1-C2-sms-1", b"{}", "1", "sms", T0)]).result() == [False, True]


def test_attempts_and_receipts_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    ob = Outbox(path)
    ob.add_requests([("R1", b"{}", "13800138000", "sms", T0)]).result()
    ob.start_attempt(Attempt("R1", 1, "aliyun", "sms", "13800138000", T0)).result()
    ob.close()  # a crash in the call: the attempt has no result
    ob = Outbox(path)
    try:
        (r,) = ob.load(0).result().values()
        assert r.state == "pending" and r.attempts[0].result is None
        ob.finish_attempt("R1", 1, "accepted", "BIZ1", "", T0 + 1, "accepted").result()
        assert ob.add_receipt("R1", "accepted", "", "t", "aliyun").result() is not None
        assert ob.add_receipt("R1", "accepted", "", "t", "aliyun").result() is None  # the same, again
        (r,) = ob.load(0).result().values()
        assert r.state == "accepted" and r.attempts[0].provider_id == "BIZ1" and r.statuses == ["accepted"]
        assert [x.status for x in ob.unpublished_receipts().result()] == ["accepted"]
    finally:
        ob.close()


def test_one_failing_operation_does_not_undo_the_batch(outbox: Outbox) -> None:
    def bad(db: sqlite3.Connection) -> None:
        raise ValueError("no")

    good = outbox.add_requests([("R1", b"{}", "1", "sms", T0)])
    failed = outbox.submit(bad)
    assert good.result() == [True]
    with pytest.raises(ValueError):
        failed.result()
    assert outbox.known("R1").result()


def test_counted_sends_are_accepted_timed_out_or_unanswered(outbox: Outbox) -> None:
    for n, result in enumerate(["accepted", "timeout", None, "refused", "retry"], start=1):
        outbox.start_attempt(Attempt("R", n, "aliyun", "voice", "138", T0 + n)).result()
        if result is not None:
            outbox.finish_attempt("R", n, result, "", "", T0 + n, None).result()
    assert [t for *_, t in outbox.counted_sends(0).result()] == [T0 + 1, T0 + 2, T0 + 3]


def test_voice_one_a_minute_five_an_hour_twenty_a_day() -> None:
    lim = Limits({("aliyun", "voice"): Limit(1, 5, 20)})
    assert lim.blocked("aliyun", "voice", "138", T0) is None
    lim.record("aliyun", "voice", "138", T0)
    assert lim.blocked("aliyun", "voice", "138", T0 + 59 * 10**9) == "minute"
    assert lim.blocked("aliyun", "voice", "139", T0) is None  # another number
    assert lim.blocked("tencent", "voice", "138", T0) is None  # another provider
    assert lim.blocked("aliyun", "sms", "138", T0) is None  # another channel
    t = T0
    for _ in range(4):
        t += MINUTE + 1
        assert lim.blocked("aliyun", "voice", "138", t) is None
        lim.record("aliyun", "voice", "138", t)
    assert lim.blocked("aliyun", "voice", "138", t + MINUTE + 1) == "hour"
    for _ in range(15):
        t += HOUR // 4
        lim.record("aliyun", "voice", "138", t)
    assert lim.blocked("aliyun", "voice", "138", t + HOUR + 1) == "day"
    assert lim.blocked("aliyun", "voice", "138", t + DAY + 1) is None


def test_limits_reloaded_from_the_outbox_are_not_reset_by_a_restart(outbox: Outbox) -> None:
    outbox.start_attempt(Attempt("R", 1, "aliyun", "voice", "138", T0)).result()
    outbox.finish_attempt("R", 1, "accepted", "C1", "", T0, "accepted").result()
    restarted = Limits({("aliyun", "voice"): Limit(1, 5, 20)})
    restarted.load(outbox.counted_sends(T0 - DAY).result())
    assert restarted.blocked("aliyun", "voice", "138", T0 + 30 * 10**9) == "minute"


def test_a_refused_send_is_forgotten() -> None:
    lim = Limits({("aliyun", "sms"): Limit(1, 0, 0)})
    lim.record("aliyun", "sms", "138", T0)
    lim.forget("aliyun", "sms", "138", T0)
    assert lim.blocked("aliyun", "sms", "138", T0 + 1) is None


def test_requests_per_second_are_paced() -> None:
    lim = Limits({}, {"aliyun": 100.0})
    waits = [lim.pace("aliyun", T0) for _ in range(3)]
    assert waits == [0, 10_000_000, 20_000_000]
    assert lim.pace("aliyun", T0 + 10**9) == 0
    assert Limits({}).pace("aliyun", T0) == 0


def test_a_receipt_older_than_one_already_published_is_not_published_again(outbox: Outbox) -> None:
    accepted = outbox.add_receipt("R1", "accepted", "", "t1", "aliyun").result()
    delivered = outbox.add_receipt("R1", "delivered", "", "t2", "aliyun").result()
    other = outbox.add_receipt("R2", "accepted", "", "t1", "aliyun").result()
    assert accepted and delivered and other
    outbox.mark_receipts_published([delivered]).result()  # a crash before "accepted" was marked
    assert [(r.req, r.status) for r in outbox.unpublished_receipts().result()] == [("R2", "accepted")]
