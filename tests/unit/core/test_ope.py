"""Off-policy estimators on a synthetic bandit and a small MDP whose true values are known: over
repeated draws each estimate's interval holds the truth (about as often as it says), and the
doubly robust estimators vary less than importance sampling alone."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core.ope import Decisions, Episode, bandit_estimates, sequential_estimates
from coachrl.errors import ConfigError

pytestmark = pytest.mark.unit
DRAWS = 40

MEANS = np.array([[1.0, 0.0, 2.0], [0.5, 1.5, -1.0]])  # r(x, a)
MU = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])  # the logging policy
PI = np.array([[0.1, 0.2, 0.7], [0.7, 0.2, 0.1]])  # the policy evaluated
BANDIT_TRUTH = 0.5 * (PI * MEANS).sum()


def _bandit(rng: np.random.Generator, n: int = 500) -> Decisions:
    x = rng.integers(0, 2, n)
    a = np.array([rng.choice(3, p=MU[i]) for i in x])
    r = MEANS[x, a] + rng.normal(0.0, 1.0, n)
    q = MEANS[x] + 0.3  # a reward model with a bias
    return Decisions(actions=a, rewards=r, behaviour=MU[x, a], target=PI[x], q=q)


def test_bandit_estimates_hold_the_truth_and_dr_varies_less_than_ips() -> None:
    rng = np.random.default_rng(0)
    held = {"IPS": 0, "DM": 0, "DR": 0}
    values: dict[str, list[float]] = {name: [] for name in held}
    for _ in range(DRAWS):
        estimates = bandit_estimates(_bandit(rng), rng=rng, resamples=300)
        for name, estimate in estimates.items():
            held[name] += estimate.contains(BANDIT_TRUTH)
            values[name].append(estimate.value)
    assert held["IPS"] >= 0.85 * DRAWS and held["DR"] >= 0.85 * DRAWS, held
    assert held["DM"] <= 0.2 * DRAWS  # the biased model: the direct method alone misses
    assert np.std(values["DR"]) < np.std(values["IPS"])
    assert abs(np.mean(values["DR"]) - BANDIT_TRUTH) < 0.05


# The MDP: three steps (the state is the step); action 1 pays 1, action 0 pays 0, plus noise.
GAMMA, STEPS, P_TARGET, P_BEHAVIOUR = 0.9, 3, 0.8, 0.4
MDP_TRUTH = P_TARGET * sum(GAMMA ** t for t in range(STEPS))


def _q_exact() -> np.ndarray:
    """Q^pi(t, a) = r(a) + gamma V^pi(t + 1), V^pi(t) = 0.8 (1 + gamma + ...)."""
    value_after = [P_TARGET * sum(GAMMA ** k for k in range(STEPS - t - 1))
                   for t in range(STEPS)]
    return np.array([[0.0 + GAMMA * v, 1.0 + GAMMA * v] for v in value_after])


def _episodes(rng: np.random.Generator, n: int = 300, model_bias: float = 0.2) -> list[Episode]:
    q = _q_exact() + model_bias
    target = np.tile([1 - P_TARGET, P_TARGET], (STEPS, 1))
    out = []
    for _ in range(n):
        a = (rng.random(STEPS) < P_BEHAVIOUR).astype(np.int64)
        r = a + rng.normal(0.0, 0.5, STEPS)
        out.append(Episode(Decisions(actions=a, rewards=r,
                                     behaviour=np.where(a == 1, P_BEHAVIOUR, 1 - P_BEHAVIOUR),
                                     target=target, q=q)))
    return out


def test_sequential_estimates_hold_the_truth_and_sdr_varies_less_than_pdis() -> None:
    rng = np.random.default_rng(1)
    held = {"PDIS": 0, "WIS": 0, "SDR": 0}
    values: dict[str, list[float]] = {name: [] for name in held}
    for _ in range(DRAWS):
        estimates = sequential_estimates(_episodes(rng), discount=GAMMA, rng=rng, resamples=300)
        assert list(estimates) == ["PDIS", "WIS", "SDM", "SDR"]
        for name, estimate in estimates.items():
            if name not in held:  # SDM: the biased model's value alone
                continue
            held[name] += estimate.contains(MDP_TRUTH)
            values[name].append(estimate.value)
    assert all(count >= 0.85 * DRAWS for count in held.values()), held
    assert np.std(values["SDR"]) < np.std(values["PDIS"])
    for name in held:
        assert abs(np.mean(values[name]) - MDP_TRUTH) < 0.08, name


def test_sdr_with_the_true_model_is_exact_without_reward_noise() -> None:
    rng = np.random.default_rng(2)
    episodes = []
    for a in ([0, 1, 1], [1, 0, 0]):
        actions = np.array(a)
        episodes.append(Episode(Decisions(
            actions=actions, rewards=actions.astype(float),
            behaviour=np.where(actions == 1, P_BEHAVIOUR, 1 - P_BEHAVIOUR),
            target=np.tile([1 - P_TARGET, P_TARGET], (STEPS, 1)), q=_q_exact())))
    estimates = sequential_estimates(episodes, discount=GAMMA, rng=rng)
    assert estimates["SDM"].value == pytest.approx(MDP_TRUTH)  # the true model's V(x0)
    estimate = estimates["SDR"]
    assert estimate.value == pytest.approx(MDP_TRUTH)
    assert estimate.low == pytest.approx(MDP_TRUTH) and estimate.high == pytest.approx(MDP_TRUTH)


def test_estimators_without_a_model_or_data_say_so() -> None:
    rng = np.random.default_rng(3)
    d = _bandit(rng, 50)
    no_model = Decisions(actions=d.actions, rewards=d.rewards, behaviour=d.behaviour,
                         target=d.target)
    assert list(bandit_estimates(no_model, rng=rng)) == ["IPS"]
    with pytest.raises(ConfigError, match="no logged decisions"):
        bandit_estimates(Decisions(actions=np.zeros(0), rewards=np.zeros(0),
                                   behaviour=np.zeros(0), target=np.zeros((0, 3))), rng=rng)
    with pytest.raises(ConfigError, match="no logged episodes"):
        sequential_estimates([], discount=0.9, rng=rng)
