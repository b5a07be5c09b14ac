"""The operator signed in at this console (the store's account record is
console.io.store.operators.Account)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Operator:
    id: str
    role: str  # township_officer | district_officer | admin
    scope: str  # township code or "*"
    name: str = ""
