"""Checklist templates as data (resources/checklists/*.toml), and the rules for completing steps.

A step's ``action`` drives the incident's state: acknowledge -> acknowledged, dispatch ->
dispatched, on_site -> on_site, resolve -> resolved, close -> closed. ``after`` lists the steps
that must be done (or waived) first; ``waived_by_causes`` lets a phone-confirmed false alarm
skip dispatch and on-site steps.
"""

from __future__ import annotations

import tomllib
from typing import Any, Final

import msgspec

ACTIONS: Final = ("", "acknowledge", "dispatch", "on_site", "resolve", "close")
CAUSES: Final = (
    "real_fire",
    "cooking_smoke",
    "gas_leak",
    "co_poisoning",
    "electrical_fault",
    "false_alarm",
    "device_fault",
    "test",
)
FALSE_ALARM_CAUSES: Final = ("cooking_smoke", "false_alarm", "device_fault", "test")
# the service a real emergency's cause calls for: proposed to the officer when it is recorded
CAUSE_ESCALATION: Final = {"real_fire": "fire_119", "gas_leak": "gas", "co_poisoning": "ambulance_120"}


def proposed_escalation(cause: str, escalations: list[str]) -> str | None:
    """The escalation the recorded cause calls for and the incident has not had yet."""
    target = CAUSE_ESCALATION.get(cause)
    return target if target is not None and target not in escalations else None


class Step(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    stage: int  # 1 | 5 | 30
    title_zh: str
    title_en: str
    who: str = "officer"  # officer | system | grid_worker | district ...
    action: str = ""
    required: bool = True
    records: tuple[str, ...] = ()  # value names the step must record
    after: tuple[str, ...] = ()
    waived_by_causes: tuple[str, ...] = ()
    key: str = ""  # keyboard hint for the UI


class NotifyRule(msgspec.Struct, frozen=True, kw_only=True):
    roles: tuple[str, ...]
    channels: tuple[str, ...] = ("sms", "voice")
    retries: int = 2  # extra attempts for a failed / unanswered voice call
    retry_after_s: int = 60


class Template(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    title_zh: str
    title_en: str
    steps: tuple[Step, ...]
    notify: tuple[NotifyRule, ...] = ()
    escalate_to: tuple[str, ...] = ()  # suggested targets for this kind

    def step(self, step_id: str) -> Step | None:
        for s in self.steps:
            if s.id == step_id:
                return s
        return None

    def action_step(self, action: str) -> Step | None:
        for s in self.steps:
            if s.action == action:
                return s
        return None


class TemplateError(ValueError):
    pass


def parse_template(text: str) -> Template:
    """TOML text -> Template, with the checks a hand-edited file needs."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
        t = msgspec.convert(raw, Template)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise TemplateError(str(exc)) from exc
    ids = [s.id for s in t.steps]
    if len(set(ids)) != len(ids):
        raise TemplateError(f"{t.kind}: duplicate step ids")
    for s in t.steps:
        if s.stage not in (1, 5, 30):
            raise TemplateError(f"{t.kind}.{s.id}: stage must be 1, 5 or 30")
        if s.action not in ACTIONS:
            raise TemplateError(f"{t.kind}.{s.id}: unknown action {s.action!r}")
        for a in s.after:
            if a not in ids or ids.index(a) >= ids.index(s.id):
                raise TemplateError(f"{t.kind}.{s.id}: 'after' names {a!r}, which is not an earlier step")
        for c in s.waived_by_causes:
            if c not in CAUSES:
                raise TemplateError(f"{t.kind}.{s.id}: unknown cause {c!r}")
    for action in ("acknowledge", "resolve", "close"):
        if t.action_step(action) is None:
            raise TemplateError(f"{t.kind}: no step with action {action!r}")
    return t
