"""Hindsight experience replay (Andrychowicz et al. 2017): an episode that missed its goal is
also stored as if the goal had been something it did achieve. A relabelling hook for
``EpisodicMemory`` (and anything that stores whole episodes).

    relabel = hindsight_relabel(strategy=GoalStrategy.FUTURE, goals=4,
                                reward=GoalReward(tolerance=0.0, success=0.0, failure=-1.0))
    memory = EpisodicMemory(capacity=..., columns=..., relabel=relabel)

Observations are records with the goal-env fields ``achieved_goal`` and ``desired_goal``
(coachrl carries Dict observations as numpy records). Each of the ``goals`` copies of an
episode takes, for each step t, the goal that the observation after step g had achieved, with
g chosen by the strategy: ``future`` (uniformly from t to the end), ``final`` (the last step),
``episode`` (any step of the episode) or ``random`` (an achieved goal of an earlier episode);
the reward and termination are recomputed for the new goal.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.memories.episodic import Episode, Relabel

ACHIEVED, DESIRED = "achieved_goal", "desired_goal"


class GoalStrategy(StrEnum):
    """Where a relabelled step takes its substitute goal from."""

    FUTURE = "future"
    FINAL = "final"
    EPISODE = "episode"
    RANDOM = "random"


@dataclass(slots=True, frozen=True, kw_only=True)
class GoalReward:
    """The reward of reaching a goal: ``success`` within ``tolerance`` (Euclidean distance of
    achieved to desired goal), ``failure`` elsewhere; as goal envs' ``compute_reward``."""

    tolerance: float = 0.0
    success: float = 0.0
    failure: float = -1.0

    def __call__(self, achieved: NDArray, desired: NDArray) -> NDArray:
        distance = np.linalg.norm(np.asarray(achieved, np.float64)
                                  - np.asarray(desired, np.float64), axis=-1)
        return np.where(distance <= self.tolerance, self.success, self.failure).astype(
            np.float32)


def hindsight_relabel(*, strategy: GoalStrategy, goals: int, reward: GoalReward,
                      terminate_on_success: bool = True, pool: int = 10_000) -> Relabel:
    """A relabelling hook that returns the episode and ``goals`` relabelled copies of it; with
    ``terminate_on_success`` a relabelled step that reaches its goal ends its episode (as the
    env would have). ``pool``: achieved goals remembered for the ``random`` strategy."""
    seen: deque[NDArray] = deque(maxlen=pool)

    def relabel(episode: Episode, rng: np.random.Generator) -> list[Episode]:
        data = episode.data
        achieved = np.asarray(data[B.NEXT_OBSERVATIONS][ACHIEVED])  # [T, goal]
        length = len(achieved)
        copies = [episode]
        for _ in range(goals):
            chosen = _goals(strategy, length, rng, achieved, seen)
            if chosen is None:
                break
            observations = data[B.OBSERVATIONS].copy()
            following = data[B.NEXT_OBSERVATIONS].copy()
            observations[DESIRED] = chosen
            following[DESIRED] = chosen
            rewards = reward(achieved, chosen)
            terminated = (rewards == reward.success) if terminate_on_success else (
                np.asarray(data[B.TERMINATED]) > 0)
            copies.append(Episode(data | {B.OBSERVATIONS: observations,
                                          B.NEXT_OBSERVATIONS: following, B.REWARDS: rewards,
                                          B.TERMINATED: terminated.astype(np.float32)}))
        seen.extend(achieved)
        return copies

    return relabel


def _goals(strategy: GoalStrategy, length: int, rng: np.random.Generator, achieved: NDArray,
           seen: deque[NDArray]) -> NDArray | None:
    """The substitute goal of each of the episode's steps [T, goal]; None when there is none
    (``random`` before any earlier episode)."""
    steps = np.arange(length)
    if strategy is GoalStrategy.FUTURE:
        return achieved[rng.integers(steps, length)]
    if strategy is GoalStrategy.FINAL:
        return np.repeat(achieved[-1:], length, axis=0)
    if strategy is GoalStrategy.EPISODE:
        return achieved[rng.integers(0, length, length)]
    if not seen:
        return None
    return np.stack([seen[i] for i in rng.integers(0, len(seen), length)])
