"""Batch field names and the small record types that move between env, agent and memory.

A batch is a ``dict[str, numpy array]`` whose first axis is the sample axis; its keys are the
constants below, never string literals repeated across files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
VALID = "valid"  # the step was a transition (not Gymnasium's autoreset step)
BEHAVIOUR_PROBS = "behaviour_probs"  # mu(.|s) [B, actions] of the policy that acted (ACER)
Q_VALUES = "q_values"  # Q(s, .) [B, actions] computed before an update (ACER's baseline)
AVERAGE_LOGITS = "average_logits"  # the average policy network's logits (ACER's trust region)
RECURRENT_STATE = "recurrent_state"  # [B, S] a recurrent net's state before a step (a sequence)
EPISODE_STARTS = "episode_starts"  # [B] an episode begins here: the recurrent state is zeroed
LOSS_MASK = "loss_mask"  # [B] the step is trained on (not burn-in, padding or an autoreset step)

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
    """Return and length of episodes that ended on one step, and whether each reached its goal
    where the env says so (Gymnasium's ``info["is_success"]``)."""

    returns: NDArray  # [k] float64
    lengths: NDArray  # [k] int64
    successes: NDArray | None = None  # [k] 1.0 or 0.0, NaN where the env did not say; None: none

    @staticmethod
    def empty() -> EpisodeStats:
        return EpisodeStats(np.zeros(0), np.zeros(0, dtype=np.int64))

    @staticmethod
    def concatenate(parts: list[EpisodeStats]) -> EpisodeStats:
        """Several steps' or workers' episodes as one, in order."""
        if not parts:
            return EpisodeStats.empty()
        said = any(part.successes is not None for part in parts)
        return EpisodeStats(
            np.concatenate([part.returns for part in parts]),
            np.concatenate([part.lengths for part in parts]),
            np.concatenate([part.successes if part.successes is not None
                            else np.full(len(part.returns), np.nan) for part in parts])
            if said else None)

    def __len__(self) -> int:
        return len(self.returns)


@dataclass(slots=True, frozen=True)
class ActionInfo:
    """Actions chosen for vector envs, and what the learner needs of them (log-probs, values)."""

    actions: NDArray  # [N] int64 or [N, action_dim] float32
    extras: dict[str, NDArray]


STEP_COLUMNS = (OBSERVATIONS, ACTIONS, REWARDS, TERMINATED, TRUNCATED, VALID, VALUES, LOG_PROBS)


@dataclass(slots=True, kw_only=True)
class Fragment:
    """``T`` steps of a rollout worker's ``K`` envs: what a worker sends its learner.

    ``steps`` holds ``[T, K, ...]`` columns (``STEP_COLUMNS``: what the agent saw and did, and,
    for on-policy agents, the behaviour policy's values and log-probs). A replay learner gets the
    transitions the worker built (``transitions``, ``transition_counts[t]`` of them completed at
    step t, with their Ape-X ``priorities`` when the agent computes them); an async-gradient
    learner (A3C) gets ``gradients`` and no steps.
    """

    steps: Batch
    last_observations: NDArray  # [K, ...]: the observations after the last step
    episodes: EpisodeStats  # the episodes that ended in the fragment
    env_steps: int  # valid env steps in the fragment
    worker: int = 0
    version: int = -1  # the learner's train steps when the acting weights were sent
    seconds: float = 0.0  # the worker's time to collect it
    rng_state: Mapping[str, Any] | None = None  # the acting generator's state afterwards
    transitions: Batch | None = None
    transition_counts: NDArray | None = None  # [T]
    priorities: NDArray | None = None
    gradients: dict[str, Any] | None = field(default=None, repr=False)
    # what the worker's observation statistics learnt in the fragment (``Filters.since``)
    filter_statistics: dict[str, Any] | None = None

    def __len__(self) -> int:
        """Time steps (``T``)."""
        return len(self.steps[VALID]) if VALID in self.steps else 0

    def step(self, t: int) -> tuple[NDArray, ActionInfo, StepResult]:
        """Step ``t`` as the agent's ``observe`` takes it: observations, actions, result."""
        s = self.steps
        following = s[OBSERVATIONS][t + 1] if t + 1 < len(self) else self.last_observations
        extras = {key: s[key][t] for key in (VALUES, LOG_PROBS, RECURRENT_STATE) if key in s}
        return (s[OBSERVATIONS][t], ActionInfo(s[ACTIONS][t], extras),
                StepResult(following, s[REWARDS][t], s[TERMINATED][t], s[TRUNCATED][t],
                           s[VALID][t]))

    def transitions_of(self, t: int) -> tuple[Batch, NDArray | None]:
        """The transitions step ``t`` completed, and their priorities (None: none sent)."""
        assert self.transitions is not None and self.transition_counts is not None
        end = int(self.transition_counts[: t + 1].sum())
        rows = slice(end - int(self.transition_counts[t]), end)
        priorities = None if self.priorities is None else self.priorities[rows]
        return {key: value[rows] for key, value in self.transitions.items()}, priorities

    @staticmethod
    def side_by_side(fragments: list[Fragment]) -> Fragment:
        """Equal-length fragments of several workers as one ``[T, N*K]`` fragment (sync mode);
        the first worker's generator state is kept (it acted with the learner's)."""
        first = fragments[0]
        return Fragment(
            steps={key: np.concatenate([f.steps[key] for f in fragments], axis=1)
                   for key in first.steps},
            last_observations=np.concatenate([f.last_observations for f in fragments]),
            episodes=EpisodeStats.concatenate([f.episodes for f in fragments]),
            env_steps=sum(f.env_steps for f in fragments), worker=first.worker,
            version=first.version, seconds=max(f.seconds for f in fragments),
            rng_state=first.rng_state)
