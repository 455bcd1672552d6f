"""Exploration policies: frozen dataclasses (so they are parameters too) with a pure ``select``.

The step count comes from the runtime, so an exploration policy holds no state to checkpoint.

    actions, log_probs = exploration.select(outputs, step=env_steps, rng=rng, explore=True)
"""

from coachrl.exploration.policies import (
    AdditiveGaussian,
    Categorical,
    EGreedy,
    ExplorationPolicy,
    Greedy,
)
from coachrl.exploration.squashed import SquashedGaussian

__all__ = ["AdditiveGaussian", "Categorical", "EGreedy", "ExplorationPolicy", "Greedy",
           "SquashedGaussian"]
