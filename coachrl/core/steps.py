"""Step units: quantities of steps carry their unit as a type, never as a bare int."""

from __future__ import annotations


class StepUnit(int):
    """An integer count of some unit; subclasses name the unit."""

    unit = "steps"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class EnvSteps(StepUnit):
    """Environment steps, summed over all environments of a vector env."""

    unit = "env_steps"


class Episodes(StepUnit):
    """Completed episodes."""

    unit = "episodes"


class TrainSteps(StepUnit):
    """Gradient steps of the learner."""

    unit = "train_steps"
