"""Exploration policies: e-greedy, greedy, categorical/Gaussian policy sampling, additive noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coachrl.backend.numpy.heads import NUMPY_OPS
from coachrl.core.distributions import gaussian_log_prob
from coachrl.core.schedules import Constant, Linear
from coachrl.errors import ConfigError
from coachrl.exploration import (
    UCB,
    AdditiveGaussian,
    BootstrappedHeads,
    Categorical,
    EGreedy,
    Greedy,
    OrnsteinUhlenbeck,
    SquashedGaussian,
)

COUNT = 20_000
# argmax is action 2 in every row
Q = np.tile(np.array([[0.1, 0.5, 0.9, 0.3]], dtype=np.float32), (COUNT, 1))


@pytest.mark.parametrize(("step", "expected"), [(0, 1.0), (500, 0.55), (1_000, 0.1),
                                                (5_000, 0.1)])
def test_egreedy_epsilon_follows_its_schedule(step: int, expected: float) -> None:
    policy = EGreedy(schedule=Linear(start=1.0, end=0.1, duration=1_000))
    assert policy.epsilon(step) == pytest.approx(expected)


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.5, 1.0])
def test_egreedy_takes_random_actions_with_probability_epsilon(epsilon: float) -> None:
    policy = EGreedy(schedule=Constant(constant=epsilon))
    actions, log_probs = policy.select(Q, step=0, rng=np.random.default_rng(0), explore=True)
    # a random action is uniform over 4, so it is the greedy one a quarter of the time
    non_greedy = np.mean(actions != 2)
    assert non_greedy == pytest.approx(epsilon * 3 / 4, abs=0.015)
    counts = np.bincount(actions, minlength=4) / COUNT
    np.testing.assert_allclose(counts, [epsilon / 4] * 2 + [1 - 3 * epsilon / 4] + [epsilon / 4],
                               atol=0.015)
    assert log_probs.size == 0


def test_egreedy_uses_the_schedule_value_at_the_given_step() -> None:
    policy = EGreedy(schedule=Linear(start=1.0, end=0.0, duration=100))
    actions, _ = policy.select(Q, step=100, rng=np.random.default_rng(0), explore=True)
    assert (actions == 2).all()


def test_egreedy_evaluation_with_zero_epsilon_is_greedy() -> None:
    policy = EGreedy(schedule=Constant(constant=1.0), evaluation_epsilon=0.0)
    actions, _ = policy.select(Q, step=0, rng=np.random.default_rng(0), explore=False)
    assert (actions == 2).all()


def test_egreedy_evaluation_epsilon_is_used_when_not_exploring() -> None:
    policy = EGreedy(schedule=Constant(constant=0.0), evaluation_epsilon=0.2)
    actions, _ = policy.select(Q, step=0, rng=np.random.default_rng(0), explore=False)
    assert np.mean(actions != 2) == pytest.approx(0.15, abs=0.015)


def test_egreedy_refuses_an_evaluation_epsilon_above_one() -> None:
    with pytest.raises(ConfigError, match=r"evaluation_epsilon=1\.5 is out of range"):
        EGreedy(evaluation_epsilon=1.5)


@pytest.mark.parametrize("explore", [True, False])
def test_greedy_is_argmax(explore: bool) -> None:
    scores = np.array([[1.0, 3.0, 2.0], [5.0, 0.0, 1.0]])
    actions, _ = Greedy().select(scores, step=0, rng=np.random.default_rng(0), explore=explore)
    np.testing.assert_array_equal(actions, [1, 0])


def test_categorical_without_exploration_is_argmax_of_the_logits() -> None:
    logits = np.array([[0.0, 0.2, 0.1], [3.0, 2.9, -1.0]], dtype=np.float32)
    actions, _ = Categorical().select(logits, step=0, rng=np.random.default_rng(0), explore=False)
    np.testing.assert_array_equal(actions, [1, 0])


def test_categorical_exploring_samples_the_softmax() -> None:
    logits = np.tile(np.log([[0.2, 0.8]]), (COUNT, 1))
    actions, log_probs = Categorical().select(logits, step=0, rng=np.random.default_rng(0),
                                              explore=True)
    assert np.mean(actions == 1) == pytest.approx(0.8, abs=0.01)
    np.testing.assert_allclose(log_probs, np.log([0.2, 0.8])[actions], atol=1e-6)


def test_gaussian_policy_deterministic_returns_the_mean() -> None:
    mean = np.array([[0.3, -1.0]], dtype=np.float32)
    log_std = np.array([[0.0, math.log(0.5)]], dtype=np.float32)
    actions, log_probs = Categorical().select(mean, step=0, rng=np.random.default_rng(0),
                                              explore=False, log_std=log_std)
    np.testing.assert_array_equal(actions, mean)
    np.testing.assert_allclose(log_probs, gaussian_log_prob(mean, mean, log_std))


def test_gaussian_policy_exploring_samples_around_the_mean() -> None:
    mean = np.zeros((COUNT, 1), dtype=np.float32)
    log_std = np.full((COUNT, 1), math.log(0.5), dtype=np.float32)
    actions, _ = Categorical().select(mean, step=0, rng=np.random.default_rng(0), explore=True,
                                      log_std=log_std)
    assert actions.std() == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize("sigma", [0.1, 0.5])
def test_additive_gaussian_noise_has_the_scheduled_std(sigma: float) -> None:
    policy = AdditiveGaussian(schedule=Constant(constant=sigma))
    actions = np.full((COUNT, 2), 0.25, dtype=np.float32)
    noisy, _ = policy.select(actions, step=0, rng=np.random.default_rng(0), explore=True)
    noise = noisy - actions
    assert noise.mean() == pytest.approx(0.0, abs=0.01)
    assert noise.std() == pytest.approx(sigma, rel=0.03)
    assert policy.epsilon(0) == sigma


def test_additive_gaussian_evaluation_without_noise_returns_the_action() -> None:
    actions = np.array([[0.1, -0.2]], dtype=np.float32)
    same, _ = AdditiveGaussian().select(actions, step=0, rng=np.random.default_rng(0),
                                        explore=False)
    np.testing.assert_array_equal(same, actions)


def test_action_probabilities_are_what_select_draws() -> None:
    """Each discrete policy's ``probabilities`` (what a dataset records as mu) match the
    frequencies of its ``select`` over many draws; continuous ones refuse."""
    rng = np.random.default_rng(0)
    scores = np.array([[0.3, 1.2, -0.5, 0.1]])
    ensemble = rng.standard_normal((1, 5, 4))
    draws = 20_000
    for policy, s in ((EGreedy(schedule=Constant(constant=0.3)), scores), (Categorical(), scores),
                      (Greedy(), scores), (UCB(bonus=1.0), ensemble)):
        for explore in (True, False):
            probabilities = policy.probabilities(s, step=0, explore=explore)
            np.testing.assert_allclose(probabilities.sum(-1), 1.0)
            taken = np.array([policy.select(s, step=0, rng=rng, explore=explore)[0][0]
                              for _ in range(draws)])
            frequencies = np.bincount(taken, minlength=4) / draws
            np.testing.assert_allclose(frequencies, probabilities[0], atol=0.015,
                                       err_msg=f"{type(policy).__name__} explore={explore}")
    heads = BootstrappedHeads()
    state: dict = {}
    action = heads.select(ensemble, step=0, rng=rng, explore=True, state=state)[0]
    assert heads.probabilities(ensemble, step=0, explore=True, state=state)[0, action[0]] == 1.0
    for continuous in (AdditiveGaussian(), OrnsteinUhlenbeck(), SquashedGaussian()):
        with pytest.raises(ConfigError, match="continuous actions"):
            continuous.probabilities(scores, step=0, explore=True)


def test_exploration_greedy_rules_equal_their_select_without_exploring() -> None:
    rng = np.random.default_rng(0)
    flat, ensemble = rng.standard_normal((64, 5)), rng.standard_normal((64, 4, 5))
    cases = [(Greedy(), flat, False), (EGreedy(), flat, False), (Categorical(), flat, False),
             (Categorical(), flat, True), (AdditiveGaussian(), flat, True),
             (OrnsteinUhlenbeck(), flat, True), (SquashedGaussian(), flat, True),
             (BootstrappedHeads(), ensemble, False), (UCB(bonus=1.0), ensemble, False)]
    for policy, scores, continuous in cases:
        log_std = np.zeros_like(scores) if continuous else None
        selected = policy.select(scores, step=0, rng=rng, explore=False, log_std=log_std,
                                 state={})[0]
        greedy = policy.greedy(NUMPY_OPS, scores, continuous=continuous)
        np.testing.assert_array_equal(greedy, selected, err_msg=type(policy).__name__)
