"""Off-policy evaluation: how a target policy would do, estimated from data another policy made.

Bandit estimators read logged decisions (a context, the action taken, its reward and the
probability the logging policy gave it):

- inverse propensity scoring, IPS: mean(rho r), rho = pi(a|x) / mu(a|x);
- the direct method, DM: mean(sum_a pi(a|x) q(x, a)), with q a reward model;
- doubly robust, DR (Dudik et al. 2011): DM + mean(rho (r - q(x, a))).

Sequential estimators read whole episodes (discount gamma):

- per-decision importance sampling, PDIS (Precup et al. 2000): mean_i sum_t gamma^t w_it r_it,
  w_it = prod_{k <= t} rho_ik;
- weighted importance sampling, WIS: sum_i W_i G_i / sum_i W_i, W_i = prod_t rho_it, G_i the
  episode's discounted return;
- the sequential direct method, SDM: mean_i v(x_i0), the model's value of each episode's first
  state (with a Q fitted for the target policy, FQE: Le et al. 2019);
- sequential doubly robust, SDR (Jiang & Li 2016): per episode, backwards from V_T = 0,
  V_t = v(x_t) + rho_t (r_t + gamma V_{t+1} - q(x_t, a_t)), v(x) = sum_a pi(a|x) q(x, a);
  the estimate is the mean of V_0.

Each comes with a percentile bootstrap interval over the decisions (bandit) or the episodes
(sequential), resampled with replacement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from coachrl.errors import ConfigError


@dataclass(slots=True, frozen=True)
class Estimate:
    """A point estimate and its bootstrap interval."""

    name: str
    value: float
    low: float
    high: float
    samples: NDArray | None = field(default=None, repr=False, compare=False)  # the resamples

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(slots=True, frozen=True)
class Decisions:
    """Logged decisions [N]: the probabilities the logging policy (``behaviour``) and the target
    policy (``target``, [N, A]) gave, the actions, the rewards and a reward model ``q`` [N, A]."""

    actions: NDArray
    rewards: NDArray
    behaviour: NDArray  # mu(a_i|x_i) of the action taken
    target: NDArray  # pi(.|x_i)
    q: NDArray | None = None

    def ratios(self) -> NDArray:
        taken = np.take_along_axis(self.target, self.actions[:, None].astype(np.int64), 1)[:, 0]
        return taken / np.maximum(self.behaviour, 1e-12)


@dataclass(slots=True, frozen=True)
class Episode:
    """One logged episode as ``Decisions`` of its steps, in order."""

    steps: Decisions


def _direct(d: Decisions) -> NDArray:
    if d.q is None:
        raise ConfigError("the direct method and doubly robust need a reward or Q model (q)")
    return (d.target * d.q).sum(-1)


def _taken_q(d: Decisions) -> NDArray:
    assert d.q is not None
    return np.take_along_axis(d.q, d.actions[:, None].astype(np.int64), 1)[:, 0]


BANDIT: dict[str, Callable[[Decisions], NDArray]] = {  # per-decision terms; the estimate: mean
    "IPS": lambda d: d.ratios() * d.rewards,
    "DM": _direct,
    "DR": lambda d: _direct(d) + d.ratios() * (d.rewards - _taken_q(d)),
}


def _discounted_return(d: Decisions, discount: float) -> float:
    return float((d.rewards * discount ** np.arange(len(d.rewards))).sum())


def _pdis(d: Decisions, discount: float) -> float:
    weights = np.cumprod(d.ratios())
    return float((weights * d.rewards * discount ** np.arange(len(d.rewards))).sum())


def _sdr(d: Decisions, discount: float) -> float:
    values, ratios, taken = _direct(d), d.ratios(), _taken_q(d)
    following = 0.0
    for t in range(len(d.rewards) - 1, -1, -1):
        following = values[t] + ratios[t] * (d.rewards[t] + discount * following - taken[t])
    return float(following)


def _wis(episodes: Sequence[Episode], discount: float) -> float:
    weights = np.array([np.prod(e.steps.ratios()) for e in episodes])
    returns = np.array([_discounted_return(e.steps, discount) for e in episodes])
    total = weights.sum()
    return float((weights * returns).sum() / total) if total > 0 else float("nan")


SEQUENTIAL = ("PDIS", "WIS", "SDM", "SDR")


def interval(samples: NDArray, confidence: float) -> tuple[float, float]:
    if samples.size == 0 or np.isnan(samples).all():  # no resamples, or none defined
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def _estimate(name: str, value: float, samples: NDArray, confidence: float) -> Estimate:
    return Estimate(name, value, *interval(samples, confidence), samples=samples)


def all_decisions(episodes: Sequence[Episode]) -> Decisions:
    """Every step of every episode as one set of logged decisions (the bandit estimators)."""
    steps = [e.steps for e in episodes]
    q = None if any(d.q is None for d in steps) else np.concatenate(
        [d.q for d in steps])  # type: ignore[misc]
    return Decisions(actions=np.concatenate([d.actions for d in steps]),
                     rewards=np.concatenate([d.rewards for d in steps]),
                     behaviour=np.concatenate([d.behaviour for d in steps]),
                     target=np.concatenate([d.target for d in steps]), q=q)


def bandit_estimates(decisions: Decisions, *, rng: np.random.Generator, resamples: int = 500,
                     confidence: float = 0.95) -> dict[str, Estimate]:
    """IPS, DM and DR (DM and DR only with a model ``q``), each with its interval."""
    n = len(decisions.rewards)
    if n == 0:
        raise ConfigError("no logged decisions to estimate from")
    draws = rng.integers(0, n, size=(resamples, n))
    out = {}
    for name, terms_of in BANDIT.items():
        if name != "IPS" and decisions.q is None:
            continue
        terms = terms_of(decisions)
        out[name] = _estimate(name, float(terms.mean()), terms[draws].mean(axis=1), confidence)
    return out


def sequential_estimates(episodes: Sequence[Episode], *, discount: float,
                         rng: np.random.Generator, resamples: int = 500,
                         confidence: float = 0.95) -> dict[str, Estimate]:
    """PDIS, WIS, SDM and SDR (SDM and SDR only with a model ``q`` on every episode), each with
    its interval from resampling whole episodes. WIS is NaN where every episode's weight is 0
    (a deterministic target that the data never follows for a whole episode)."""
    if not episodes:
        raise ConfigError("no logged episodes to estimate from")
    n = len(episodes)
    draws = rng.integers(0, n, size=(resamples, n))
    per_episode = {"PDIS": np.array([_pdis(e.steps, discount) for e in episodes])}
    if all(e.steps.q is not None for e in episodes):
        per_episode["SDM"] = np.array([_direct(e.steps)[0] for e in episodes])
        per_episode["SDR"] = np.array([_sdr(e.steps, discount) for e in episodes])
    out = {name: _estimate(name, float(values.mean()), values[draws].mean(axis=1), confidence)
           for name, values in per_episode.items()}
    weights = np.array([np.prod(e.steps.ratios()) for e in episodes])
    returns = np.array([_discounted_return(e.steps, discount) for e in episodes])
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (weights[draws] * returns[draws]).sum(1) / weights[draws].sum(1)
    out["WIS"] = _estimate("WIS", _wis(episodes, discount), boot, confidence)
    return {name: out[name] for name in SEQUENTIAL if name in out}
