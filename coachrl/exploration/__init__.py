"""Exploration policies: frozen dataclasses (so they are parameters too) with a ``select``.

The step count comes from the runtime. A policy that remembers something per env between steps
(OU noise, the head of an episode) keeps it in an ``ExplorationState`` the agent owns,
checkpoints and resets where episodes end; the others have none.

    state = exploration.initial_state(n_envs)
    actions, log_probs = exploration.select(outputs, step=env_steps, rng=rng, explore=True,
                                            state=state)
    exploration.end_episodes(state, result.dones, rng)
"""

from coachrl.exploration.policies import (
    AdditiveGaussian,
    Categorical,
    EGreedy,
    ExplorationPolicy,
    ExplorationState,
    Greedy,
    GreedyAction,
)
from coachrl.exploration.squashed import SquashedGaussian
from coachrl.exploration.stateful import UCB, BootstrappedHeads, OrnsteinUhlenbeck

__all__ = ["UCB", "AdditiveGaussian", "BootstrappedHeads", "Categorical", "EGreedy",
           "ExplorationPolicy", "ExplorationState", "Greedy", "GreedyAction", "OrnsteinUhlenbeck",
           "SquashedGaussian"]
