"""Batch field names and the small record types that move between env, agent and memory.

A batch is a ``dict[str, numpy array]`` whose first axis is the sample axis; its keys are the
constants below, never string literals repeated across files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

OBSERVATIONS = "observations"
ACTIONS = "actions"
REWARDS = "rewards"
NEXT_OBSERVATIONS = "next_observations"
TERMINATED = "terminated"  # the MDP ended: do not bootstrap
TRUNCATED = "truncated"  # time limit or similar: bootstrap from the true final observation
DONES = "dones"  # terminated or truncated: the episode ends here
LOG_PROBS = "log_probs"
VALUES = "values"
OLD_VALUES = "old_values"
ADVANTAGES = "advantages"
RETURNS = "returns"
TARGETS = "targets"
WEIGHTS = "weights"  # importance-sampling weights of prioritised replay
INDICES = "indices"  # slots of sampled transitions, to update their priorities
MASKS = "masks"  # per-member bootstrap masks of an ensemble (Bootstrapped DQN)
DISCOUNTS = "discounts"  # the discount of a transition's bootstrap: gamma^m after m rewards

Batch = dict[str, NDArray]


@dataclass(slots=True, frozen=True)
class StepResult:
    """One step of a vector env of N envs, with the autoreset step made explicit.

    ``valid[i]`` is False where env i just performed a reset step (Gymnasium's NEXT_STEP
    autoreset): its action was ignored, ``observations[i]`` is a fresh initial observation and the
    step is no transition. Where ``valid[i]`` is True, ``observations[i]`` is the true next
    observation, the final one when the episode ended, so truncation bootstraps correctly.
    """

    observations: NDArray  # [N, *obs_shape]
    rewards: NDArray  # [N] float32
    terminated: NDArray  # [N] bool
    truncated: NDArray  # [N] bool
    valid: NDArray  # [N] bool

    @property
    def dones(self) -> NDArray:
        return self.terminated | self.truncated


@dataclass(slots=True, frozen=True)
class EpisodeStats:
    """Return and length of episodes that ended on one step."""

    returns: NDArray  # [k] float64
    lengths: NDArray  # [k] int64

    @staticmethod
    def empty() -> EpisodeStats:
        return EpisodeStats(np.zeros(0), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.returns)


@dataclass(slots=True, frozen=True)
class ActionInfo:
    """Actions chosen for vector envs, and what the learner needs of them (log-probs, values)."""

    actions: NDArray  # [N] int64 or [N, action_dim] float32
    extras: dict[str, NDArray]
