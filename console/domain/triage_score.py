"""The triage score as a function a World can hold: ``TriageScore(weights)(incident, household)``.

The World releases a storm's held notifications once an incident scores ``release_score``
(console/domain/storm.py) but cannot import console/domain/triage.py, which reads the World for
its queue; so the weights come in wrapped in this callable (bootstrap builds it from
resources/triage.toml), a static input like the register and the templates.
"""

from __future__ import annotations

import msgspec

from console.domain.incident import Incident
from console.domain.registry import Household
from console.domain.triage import TriageWeights, assess


class TriageScore(msgspec.Struct, frozen=True):
    weights: TriageWeights

    def __call__(self, inc: Incident, hh: Household | None) -> int:
        return assess(inc, hh, self.weights).score
