"""Exploration that remembers: Ornstein-Uhlenbeck noise, a bootstrapped head per episode, and
UCB over an ensemble of Q heads.

Each policy is a frozen parameter object; what it remembers per env lives in the agent's
``ExplorationState`` (numpy arrays, checkpointed with the agent) and is reset where an episode
ends. Evaluation (``explore=False``) neither reads nor changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core.ops import Ops
from coachrl.core.schedules import Constant, Schedule
from coachrl.exploration.policies import (
    NO_LOG_PROBS,
    ExplorationPolicy,
    ExplorationState,
    one_hot,
    refuse_probabilities,
)
from coachrl.params.check import in_range, non_negative, positive

NOISE, HEAD, HEADS = "ou_noise", "head", "heads"


@dataclass(slots=True, frozen=True, kw_only=True)
class OrnsteinUhlenbeck(ExplorationPolicy):
    """Temporally correlated noise for deterministic continuous policies (DDPG; Lillicrap et
    al. 2016): x <- x + theta (mu - x) dt + sigma sqrt(dt) N(0, 1) per env and action dimension,
    added to the policy's action in [-1, 1] and clipped back into it; x restarts at mu with
    each episode. The lag-1 autocorrelation of x is 1 - theta dt."""

    theta: float = 0.15  # pull toward mu per unit of time
    mu: float = 0.0  # the level the noise reverts to
    sigma: Schedule = field(default_factory=lambda: Constant(constant=0.2))  # over env steps
    dt: float = 1e-2  # time step

    def __post_init__(self) -> None:
        non_negative("theta", self.theta)
        positive("dt", self.dt)

    def epsilon(self, step: int) -> float:
        return self.sigma.value(step)

    probabilities = refuse_probabilities  # type: ignore[assignment]

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        if not explore:
            return scores, NO_LOG_PROBS
        if state is None:
            raise ValueError("Ornstein-Uhlenbeck noise needs the agent's exploration state")
        noise = state.get(NOISE)
        if noise is None or noise.shape != scores.shape:
            noise = state[NOISE] = np.full(scores.shape, self.mu, np.float64)
        noise += self.theta * (self.mu - noise) * self.dt + (
            self.sigma.value(step) * np.sqrt(self.dt) * rng.standard_normal(scores.shape))
        return np.clip(scores + noise, -1.0, 1.0).astype(scores.dtype), NO_LOG_PROBS

    def end_episodes(self, state: ExplorationState, dones: NDArray,
                     rng: np.random.Generator) -> None:
        if NOISE in state:
            state[NOISE][np.asarray(dones, bool)] = self.mu


@dataclass(slots=True, frozen=True, kw_only=True)
class BootstrappedHeads(ExplorationPolicy):
    """Bootstrapped DQN's deep exploration (Osband et al. 2016): each env acts greedily with one
    head of a Q ensemble [N, heads, actions] for a whole episode, drawn uniformly when the
    episode starts; evaluation takes the majority vote of the heads' greedy actions."""

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        count, heads, n_actions = scores.shape
        if not explore:  # as ``greedy``
            votes = (scores.argmax(-1)[..., None] == np.arange(n_actions)).sum(1)  # [N, A]
            return votes.argmax(-1), NO_LOG_PROBS
        if state is None:
            raise ValueError("bootstrapped heads need the agent's exploration state")
        chosen = state.get(HEAD)
        if chosen is None or len(chosen) != count:
            chosen = state[HEAD] = np.asarray(rng.integers(0, heads, size=count))
            state[HEADS] = np.array(heads)
        return scores[np.arange(count), chosen].argmax(-1), NO_LOG_PROBS

    def probabilities(self, scores: NDArray, *, step: int, explore: bool,
                      state: ExplorationState | None = None) -> NDArray:
        """1 for the episode's head's greedy action when exploring (its state must hold the
        head), for the vote's when not."""
        count, _, n_actions = scores.shape
        if explore:
            if state is None or HEAD not in state:
                raise ValueError("bootstrapped heads need the agent's exploration state")
            return one_hot(scores[np.arange(count), state[HEAD]].argmax(-1), n_actions)
        votes = (scores.argmax(-1)[..., None] == np.arange(n_actions)).sum(1)
        return one_hot(votes.argmax(-1), n_actions)

    def greedy(self, ops: Ops, scores: Any, *, continuous: bool) -> Any:
        """The majority vote of the heads' greedy actions (ties: the lowest action)."""
        n_actions = scores.shape[-1]
        return ops.argmax(ops.sum(ops.one_hot(ops.argmax(scores), n_actions), axis=1))

    def end_episodes(self, state: ExplorationState, dones: NDArray,
                     rng: np.random.Generator) -> None:
        chosen = state.get(HEAD)
        ended = np.asarray(dones, bool)
        if chosen is not None and ended.any():
            chosen[ended] = rng.integers(0, int(state[HEADS]), size=int(ended.sum()))


@dataclass(slots=True, frozen=True, kw_only=True)
class UCB(ExplorationPolicy):
    """Optimism over a Q ensemble [N, heads, actions] (Chen et al. 2017): argmax of the heads'
    mean plus ``bonus`` times their standard deviation; the mean alone when evaluating."""

    bonus: float = 0.1  # lambda: how many standard deviations of optimism

    def __post_init__(self) -> None:
        in_range("bonus", self.bonus, 0.0, 1e6)

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        mean = scores.mean(axis=1)  # [N, A]
        if not explore:  # as ``greedy``
            return mean.argmax(-1), NO_LOG_PROBS
        return (mean + self.bonus * scores.std(axis=1)).argmax(-1), NO_LOG_PROBS

    def probabilities(self, scores: NDArray, *, step: int, explore: bool,
                      state: ExplorationState | None = None) -> NDArray:
        mean = scores.mean(axis=1)
        optimistic = mean + self.bonus * scores.std(axis=1) if explore else mean
        return one_hot(optimistic.argmax(-1), scores.shape[-1])

    def greedy(self, ops: Ops, scores: Any, *, continuous: bool) -> Any:
        """argmax of the heads' mean."""
        return ops.argmax(ops.mean(scores, axis=1))
