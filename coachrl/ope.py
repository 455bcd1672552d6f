"""``coachrl ope RUN_DIR --dataset F``: off-policy estimates of a trained run's policy.

The policy evaluated (the target) is the run's deterministic policy: the action probabilities its
exploration gives without exploring. The estimators are ``coachrl.core.ope``'s. The episode
estimators' model (SDM, SDR) is Q^pi fitted from the dataset by fitted Q evaluation
(``coachrl.runtime.ope.FQEAgent``); the run's own Q, where it has one, is not used: it says what
acting greedily on itself is worth, with the optimism of the max, not what the policy earns. The
decision estimators' model (DM, DR) is a reward regression r(s, a).

The intervals resample the model too: each of ``models`` FQE fits sees its own bootstrap
resample of the episodes, and each episode estimator's interval is the percentile interval of
the episode resamples of all fits together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.core.environment import VectorEnvironment
from coachrl.core.ope import (
    BANDIT,
    SEQUENTIAL,
    Estimate,
    all_decisions,
    bandit_estimates,
    interval,
    sequential_estimates,
)
from coachrl.core.spaces import DiscreteActions
from coachrl.errors import ConfigError, ExportError
from coachrl.memories.episodic import Episode
from coachrl.runtime.ope import fit_q, fit_rewards, logged_episodes


# -- the estimates -----------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class OPEReport:
    """Estimates of the run's policy from a dataset, and what they were made from."""

    estimates: dict[str, Estimate]
    discount: float
    episodes: int
    transitions: int
    models: int

    def lines(self) -> list[str]:
        """The estimates as a table: the episode's discounted return (PDIS, WIS, SDM, SDR),
        then the reward of one decision (IPS, DM, DR)."""
        rows = []
        for title, names in (("discounted return of an episode", SEQUENTIAL),
                             ("reward of one decision", tuple(BANDIT))):
            rows.append(f"{title:<34}{'estimate':>10}{'interval':>24}")
            for e in (self.estimates[n] for n in names if n in self.estimates):
                rows.append(f"  {e.name:<32}{e.value:>10.3f}    [{e.low:>8.3f}, {e.high:>8.3f}]")
        return rows


def target_probabilities(policy: Any) -> Callable[[NDArray], NDArray]:
    """pi(.|s) of a loaded run's deterministic policy, of filtered observations."""
    try:
        export = policy.agent.policy_export()
    except ExportError as exc:
        raise ConfigError(f"off-policy evaluation needs the policy's action probabilities: "
                          f"{exc}") from None

    def probabilities(observations: NDArray) -> NDArray:
        scores = export.network.predict(observations)[export.action.scores]
        return export.action.exploration.probabilities(scores, step=policy.env_steps,
                                                       explore=False)
    return probabilities


def estimate(run_dir: str | Path, dataset: str | Path, *, checkpoint: str = "best",
             discount: float | None = None, models: int = 3, fqe_steps: int = 10_000,
             resamples: int = 200, confidence: float = 0.95, seed: int = 0) -> OPEReport:
    """PDIS, WIS, SDM and SDR (the discounted return of an episode, the models FQE's, the
    intervals pooled over ``models`` fits on resampled episodes) and IPS, DM and DR (the
    reward of one decision, the model a reward regression) of the run's policy from the
    dataset, each with its bootstrap interval."""
    from coachrl.api import load
    from coachrl.memories.dataset import read_dataset

    if models < 1:
        raise ConfigError(f"--models {models} must be at least 1")
    if resamples < 1:
        raise ConfigError(f"--resamples {resamples} must be at least 1")
    policy = cast(Any, load(run_dir, checkpoint=checkpoint))
    if not isinstance(policy.spaces.action, DiscreteActions):
        raise ConfigError(f"off-policy evaluation here takes discrete actions; {run_dir}'s are "
                          f"{policy.spaces.action}")
    raw, _ = read_dataset(dataset)
    if any(np.isnan(e.data[B.BEHAVIOUR_PROBS]).any() for e in raw):
        raise ConfigError(f"{dataset} does not record the logging policy's action probabilities "
                          "(a Minari dataset does not), which off-policy estimates need; record "
                          "one with coachrl collect")
    episodes = [_filtered(e, policy.filters.observations) for e in raw]
    discount = float(policy.preset.agent.algorithm.discount if discount is None else discount)
    if not 0.0 < discount <= 1.0:
        raise ConfigError(f"--discount {discount} must lie in (0, 1]")
    pi = target_probabilities(policy)
    observations = np.concatenate([e.data[B.OBSERVATIONS] for e in episodes])
    if observations.shape[1:] != tuple(policy.spaces.observation.shape):
        raise ConfigError(f"the dataset's observations are {observations.shape[1:]}; the run's "
                          f"env's are {policy.spaces.observation.shape}")
    target = pi(observations)
    threads = policy.preset.run.torch_threads
    rewards = fit_rewards(episodes, spaces=policy.spaces, seed=seed,
                          threads=threads)(observations)
    rng = np.random.default_rng(seed)
    found = bandit_estimates(all_decisions(logged_episodes(episodes, target, rewards)), rng=rng,
                             resamples=resamples, confidence=confidence)
    pooled: dict[str, list[Estimate]] = {}
    for model in range(models):
        chosen = (rng.integers(0, len(episodes), len(episodes)) if models > 1
                  else np.arange(len(episodes)))
        q = fit_q([episodes[i] for i in chosen], pi, spaces=policy.spaces, discount=discount,
                  steps=fqe_steps, seed=seed + 1 + model, threads=threads)(observations)
        for name, e in sequential_estimates(logged_episodes(episodes, target, q),
                                            discount=discount, rng=rng, resamples=resamples,
                                            confidence=confidence).items():
            pooled.setdefault(name, []).append(e)
    return OPEReport(estimates={**{name: _pool(found, confidence)
                                   for name, found in pooled.items()}, **found},
                     discount=discount, episodes=len(episodes),
                     transitions=len(observations), models=models)


def _pool(estimates: list[Estimate], confidence: float) -> Estimate:
    """One estimate from several models': the mean of their values, the interval the
    percentiles of all their bootstrap samples together (data and model resampled)."""
    samples = np.concatenate([e.samples for e in estimates if e.samples is not None])
    low, high = interval(samples, confidence)
    return Estimate(estimates[0].name, float(np.mean([e.value for e in estimates])), low, high,
                    samples=samples)


def _filtered(episode: Episode, observe: Callable[[NDArray], NDArray] | None) -> Episode:
    if observe is None:
        return episode
    data = dict(episode.data)
    for key in (B.OBSERVATIONS, B.NEXT_OBSERVATIONS):
        data[key] = observe(data[key])
    return Episode(data)


def measured_return(run_dir: str | Path, *, episodes: int, discount: float,
                    checkpoint: str = "best", seed: int = 0) -> tuple[NDArray, NDArray]:
    """(discounted, undiscounted) returns of ``episodes`` episodes of the run's deterministic
    policy in its env: what the estimates are compared against."""
    from coachrl.api import load
    from coachrl.core.seeding import derive_seed
    from coachrl.registry import env_adapter
    from coachrl.runtime.build import EVAL_STREAM
    from coachrl.runtime.evaluation import evaluate

    policy = cast(Any, load(run_dir, checkpoint=checkpoint))
    env = cast(VectorEnvironment, env_adapter()(policy.preset.env, n_envs=episodes,
                                                seed=derive_seed(seed, EVAL_STREAM),
                                                training=False))
    observe = policy.filters.observations or (lambda x: x)
    try:
        result = evaluate(policy.agent, env, step=policy.env_steps, observe=observe,
                          discount=discount)
    finally:
        env.close()
    assert result.discounted_returns is not None
    return result.discounted_returns, result.returns
