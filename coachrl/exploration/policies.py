"""e-greedy, greedy, categorical (stochastic policy) and additive Gaussian exploration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core.distributions import (
    categorical_actions,
    categorical_log_prob,
    gaussian_actions,
    gaussian_log_prob,
    log_softmax,
)
from coachrl.core.ops import Ops
from coachrl.core.schedules import Constant, Linear, Schedule
from coachrl.errors import ConfigError
from coachrl.params.check import in_range, non_negative

NO_LOG_PROBS = np.zeros(0, dtype=np.float32)


def one_hot(indices: NDArray, count: int) -> NDArray:
    return (np.asarray(indices)[..., None] == np.arange(count)).astype(np.float64)


def refuse_probabilities(policy: object, *args: Any, **kwargs: Any) -> NDArray:
    raise ConfigError(f"{type(policy).__name__} acts on continuous actions, which have "
                      "densities rather than action probabilities; datasets and off-policy "
                      "estimates take discrete actions")
# Per-env arrays a policy keeps between steps (OU noise, the head of an episode), created by
# ``initial_state``, updated in place by ``select`` and ``end_episodes``, saved in checkpoints.
ExplorationState = dict[str, NDArray]


@dataclass(slots=True, frozen=True, kw_only=True)
class ExplorationPolicy:
    """Turns network outputs for N envs into N actions (and their log-probs where meaningful).

    The policy itself is a frozen parameter object; a policy with memory across steps keeps it
    in an ``ExplorationState`` the agent owns (``initial_state``), passes to every ``select`` and
    resets per env where episodes end (``end_episodes``). Without exploration (evaluation) no
    policy reads or changes its state.
    """

    def initial_state(self, n_envs: int) -> ExplorationState:
        """The state of ``n_envs`` envs before their first step; stateless policies have none."""
        del n_envs
        return {}

    def end_episodes(self, state: ExplorationState, dones: NDArray,
                     rng: np.random.Generator) -> None:
        """Reset the state of the envs whose episode ended (``dones`` [N] bool)."""
        del state, dones, rng

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        raise NotImplementedError

    def actions(self, scores: NDArray, *, step: int, rng: np.random.Generator,
                explore: bool, log_std: NDArray | None = None,
                state: ExplorationState | None = None) -> NDArray:
        """``select`` without the log-probs, for callers that compute them later in one batch."""
        return self.select(scores, step=step, rng=rng, explore=explore, log_std=log_std,
                           state=state)[0]

    def epsilon(self, step: int) -> float:
        """The exploration rate to log; 0 where it has no meaning."""
        return 0.0

    def probabilities(self, scores: NDArray, *, step: int, explore: bool,
                      state: ExplorationState | None = None) -> NDArray:
        """[N, actions]: the probability ``select`` gives each discrete action (a dataset
        records the one of the action taken, for off-policy evaluation); by default the
        deterministic action's, 1. Continuous-action policies have densities, not these."""
        del step, explore, state
        return one_hot(scores.argmax(axis=-1), scores.shape[-1])

    def greedy(self, ops: Ops, scores: Any, *, continuous: bool) -> Any:
        """The action taken without exploring, written against array ``ops`` (numpy, torch) so
        that an exported policy computes it: argmax of the scores, or the scores themselves
        for a continuous policy. ``select(explore=False)`` takes the same action (a policy
        whose evaluation still explores, such as e-greedy with ``evaluation_epsilon`` > 0,
        takes this one where a deterministic action is asked for)."""
        return scores if continuous else ops.argmax(scores)


@dataclass(slots=True, frozen=True, kw_only=True)
class GreedyAction:
    """An exported policy's action from its network's outputs: ``exploration.greedy`` of the
    output ``scores``, then, for policies acting in [-1, 1] (``low``/``high`` set), clipped
    into it and mapped onto the env's bounds. Runs on numpy or torch ``ops``."""

    exploration: ExplorationPolicy
    scores: str  # the network output the exploration policy reads
    continuous: bool = False
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None

    def __call__(self, ops: Ops, outputs: dict[str, Any]) -> Any:
        action = self.exploration.greedy(ops, outputs[self.scores], continuous=self.continuous)
        if self.low is None or self.high is None:
            return action
        low = np.asarray(self.low, np.float32)
        half_range = (np.asarray(self.high, np.float32) - low) / 2
        return ops.constant(low, action) + (ops.clip(action, -1.0, 1.0) + 1.0) * ops.constant(
            half_range, action)


@dataclass(slots=True, frozen=True, kw_only=True)
class Greedy(ExplorationPolicy):
    """argmax of the scores (Q-values or logits)."""

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        return scores.argmax(axis=-1), NO_LOG_PROBS


@dataclass(slots=True, frozen=True, kw_only=True)
class EGreedy(ExplorationPolicy):
    """With probability epsilon a uniform action, else argmax Q; defaults: Mnih et al. 2015."""

    schedule: Schedule = field(
        default_factory=lambda: Linear(start=1.0, end=0.01, duration=10_000)
    )  # epsilon over env steps
    evaluation_epsilon: float = 0.0  # epsilon used when not exploring (evaluation)

    def __post_init__(self) -> None:
        in_range("evaluation_epsilon", self.evaluation_epsilon, 0.0, 1.0)

    def epsilon(self, step: int) -> float:
        return self.schedule.value(step)

    def probabilities(self, scores: NDArray, *, step: int, explore: bool,
                      state: ExplorationState | None = None) -> NDArray:
        epsilon = self.schedule.value(step) if explore else self.evaluation_epsilon
        count = scores.shape[-1]
        return epsilon / count + (1.0 - epsilon) * one_hot(scores.argmax(axis=-1), count)

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        greedy = scores.argmax(axis=-1)
        epsilon = self.schedule.value(step) if explore else self.evaluation_epsilon
        if epsilon <= 0.0:
            return greedy, NO_LOG_PROBS
        count = len(greedy)
        random_actions = rng.integers(0, scores.shape[-1], size=count)
        return np.where(rng.random(count) < epsilon, random_actions, greedy), NO_LOG_PROBS


@dataclass(slots=True, frozen=True, kw_only=True)
class Categorical(ExplorationPolicy):
    """Sample from a categorical or diagonal-Gaussian policy; its mode when not exploring."""

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        actions = self.actions(scores, step=step, rng=rng, explore=explore, log_std=log_std)
        if log_std is not None:
            return actions, gaussian_log_prob(actions, scores, log_std)
        return actions, categorical_log_prob(scores, actions) if explore else NO_LOG_PROBS

    def probabilities(self, scores: NDArray, *, step: int, explore: bool,
                      state: ExplorationState | None = None) -> NDArray:
        """The policy's softmax when exploring (discrete logits), its mode's 1 when not."""
        if not explore:
            return one_hot(scores.argmax(axis=-1), scores.shape[-1])
        return np.exp(log_softmax(scores.astype(np.float64)))

    def actions(self, scores: NDArray, *, step: int, rng: np.random.Generator,
                explore: bool, log_std: NDArray | None = None,
                state: ExplorationState | None = None) -> NDArray:
        if log_std is None:  # discrete: scores are logits [N, actions]
            return categorical_actions(scores, rng) if explore else scores.argmax(axis=-1)
        # continuous: scores are means [N, dim]
        return gaussian_actions(scores, log_std, rng) if explore else scores


@dataclass(slots=True, frozen=True, kw_only=True)
class AdditiveGaussian(ExplorationPolicy):
    """Deterministic action plus N(0, sigma^2) noise (Fujimoto et al. 2018); sigma may vary."""

    schedule: Schedule = field(default_factory=lambda: Constant(constant=0.1))  # noise std
    evaluation_noise: float = 0.0  # noise std when not exploring

    def __post_init__(self) -> None:
        non_negative("evaluation_noise", self.evaluation_noise)

    def epsilon(self, step: int) -> float:
        return self.schedule.value(step)

    probabilities = refuse_probabilities  # type: ignore[assignment]

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        sigma = self.schedule.value(step) if explore else self.evaluation_noise
        if sigma <= 0.0:
            return scores, NO_LOG_PROBS
        noise = rng.standard_normal(scores.shape).astype(scores.dtype)
        return scores + sigma * noise, NO_LOG_PROBS
