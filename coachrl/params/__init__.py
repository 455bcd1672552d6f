"""Parameter trees: dataclasses, checks, ``--set`` overrides and JSON round trip."""

from coachrl.params.base import (
    AgentParams,
    AlgorithmParams,
    EnvironmentParams,
    FilterParams,
    MemoryParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)
from coachrl.params.tree import apply_overrides, from_jsonable, to_jsonable, validate

__all__ = [
    "AgentParams", "AlgorithmParams", "EnvironmentParams", "FilterParams", "MemoryParams",
    "NetworkParams", "Preset", "RunParams", "ScheduleParams", "Validation", "apply_overrides",
    "from_jsonable", "to_jsonable", "validate",
]
