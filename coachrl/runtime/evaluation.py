"""Evaluation: M episodes with the deterministic policy, run side by side in a vector env."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import Agent
from coachrl.core.environment import VectorEnvironment
from coachrl.errors import ConfigError
from coachrl.params.base import Validation, ValidationMetric

STEP_LIMIT = 1_000_000  # vector steps of one evaluation: an env whose episodes never end


@dataclass(slots=True, frozen=True)
class EvaluationResult:
    returns: NDArray  # [episodes]
    lengths: NDArray  # [episodes]
    actions: NDArray | None = None  # [steps * live envs, ...] actions taken, for histograms
    successes: NDArray | None = None  # [episodes] 1/0 where the env said, NaN where not
    discounted_returns: NDArray | None = None  # [episodes] sum_t gamma^t r_t, when asked for

    @property
    def mean(self) -> float:
        return float(self.returns.mean())

    @property
    def success_rate(self) -> float | None:
        """The share of episodes that reached their goal; None when the env does not say."""
        if self.successes is None or np.isnan(self.successes).all():
            return None
        return float(np.nanmean(self.successes))

    @property
    def std(self) -> float:
        return float(self.returns.std())


def evaluate(agent: Agent, env: VectorEnvironment, *, step: int,
             observe: Callable[[NDArray], NDArray] = lambda x: x,
             on_frame: Callable[[NDArray], None] | None = None,
             discount: float | None = None) -> EvaluationResult:
    """Run one episode in each of the env's N envs with ``explore=False``; stats of the first N.

    ``observe`` applies the run's observation filter without updating its statistics.
    ``on_frame`` receives env 0's frames until its episode ends (for video). With ``discount``
    the result also has each episode's discounted return (off-policy evaluation compares it).
    """
    n = env.n_envs
    returns, lengths = np.zeros(n), np.zeros(n, dtype=np.int64)
    discounted = np.zeros(n)
    successes = np.full(n, np.nan)
    finished = np.zeros(n, dtype=bool)
    observations = env.reset()
    agent.start_evaluation(n)
    taken: list[NDArray] = []
    steps = 0
    while not finished.all():
        steps += 1
        if steps > STEP_LIMIT:
            raise ConfigError(f"an evaluation episode did not end within {STEP_LIMIT:,} steps; "
                              "give the env a time limit (env.max_episode_steps)")
        if on_frame is not None and not finished[0]:
            on_frame(env.render_frames()[0])
        actions = agent.act(observe(observations), step=step, explore=False).actions
        result, ended = env.step(actions)
        live = result.valid & ~finished
        taken.append(np.asarray(actions)[live])
        returns += np.where(live, result.rewards, 0.0)
        if discount is not None:
            discounted += np.where(live, result.rewards * discount ** lengths, 0.0)
        lengths += live
        if ended.successes is not None:  # ended lists every env whose episode ended, in order
            enders = np.flatnonzero(result.valid & result.dones)
            first = live[enders]
            successes[enders[first]] = ended.successes[first]
        finished |= live & result.dones
        observations = result.observations
    return EvaluationResult(returns, lengths, np.concatenate(taken) if taken else None,
                            None if np.isnan(successes).all() else successes,
                            None if discount is None else discounted)


def validation_score(validation: Validation, result: EvaluationResult) -> float:
    """What the preset's threshold is on: the mean return, or the success rate (-inf when
    the env reports no success)."""
    if validation.metric is ValidationMetric.SUCCESS_RATE:
        rate = result.success_rate
        return float("-inf") if rate is None else rate
    return result.mean
