"""``Changes``: a wait re-checks its predicate after each bump and returns its first truthy value;
with no bump, it times out with the predicate's last value."""

from __future__ import annotations

import threading

from console.app.changes import Changes


def test_wait_wakes_on_each_bump_until_the_predicate_holds() -> None:
    changes = Changes()
    box: list[int] = []
    checks: list[int] = []

    def producer() -> None:
        for i in range(5):
            box.append(i)
            changes.bump()

    def predicate() -> int | None:
        checks.append(len(box))
        return len(box) if len(box) == 5 else None

    t = threading.Thread(target=producer)
    t.start()
    assert changes.wait_for(predicate, timeout=10) == 5
    t.join()
    assert checks[-1] == 5


def test_without_a_bump_the_wait_ends_at_the_timeout_with_the_last_value() -> None:
    changes = Changes()
    calls: list[int] = []
    assert changes.wait_for(lambda: calls.append(1) or 0, timeout=0.05) == 0
    assert len(calls) <= 2  # checked first, and once more only if woken: no polling
