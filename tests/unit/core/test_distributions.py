"""Numpy policy distributions: log-softmax, categorical sampling, Gaussian log-probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coachrl.core.distributions import gaussian_log_prob, log_softmax
from coachrl.exploration import Categorical

PROBS = np.array([1 / 6, 2 / 6, 3 / 6])


@pytest.mark.parametrize("shift", [0.0, 1000.0, -1000.0])
def test_log_softmax_gives_log_probabilities_and_is_shift_invariant(shift: float) -> None:
    logits = np.log(np.array([[1.0, 2.0, 3.0]])) + shift
    np.testing.assert_allclose(log_softmax(logits)[0], np.log(PROBS), atol=1e-9)


def test_log_softmax_rows_are_independent() -> None:
    out = log_softmax(np.array([[0.0, 0.0], [0.0, math.log(3.0)]]))
    np.testing.assert_allclose(np.exp(out), [[0.5, 0.5], [0.25, 0.75]], atol=1e-12)


def test_categorical_samples_follow_the_probabilities_with_matching_log_probs() -> None:
    count = 60_000
    logits = np.tile(np.log(PROBS), (count, 1)).astype(np.float32)
    actions, log_probs = Categorical().select(logits, step=0, rng=np.random.default_rng(0),
                                              explore=True)
    frequencies = np.bincount(actions, minlength=3) / count
    np.testing.assert_allclose(frequencies, PROBS, atol=0.01)
    np.testing.assert_allclose(log_probs, np.log(PROBS)[actions], atol=1e-6)
    assert actions.dtype == np.int64 and log_probs.dtype == np.float32


def test_categorical_with_a_dominant_logit_always_picks_it() -> None:
    logits = np.array([[0.0, 100.0, 0.0]] * 50)
    actions, _ = Categorical().select(logits, step=0, rng=np.random.default_rng(1), explore=True)
    assert (actions == 1).all()


def test_gaussian_log_prob_matches_the_formula() -> None:
    actions = np.array([[1.0, 2.0]])
    mean = np.zeros((1, 2))
    log_std = np.array([[0.0, math.log(2.0)]])
    # z = (1, 1): sum of -z^2/2 - log sigma - log(2 pi)/2 = -1 - log 2 - log(2 pi)
    expected = -1.0 - math.log(2.0) - math.log(2.0 * math.pi)
    assert gaussian_log_prob(actions, mean, log_std)[0] == pytest.approx(expected, abs=1e-6)


def test_gaussian_samples_have_the_given_mean_and_std() -> None:
    mean = np.tile([[1.0, -2.0]], (50_000, 1))
    log_std = np.tile([[math.log(0.5), math.log(2.0)]], (50_000, 1))
    actions, log_probs = Categorical().select(mean, step=0, rng=np.random.default_rng(0),
                                              explore=True, log_std=log_std)
    np.testing.assert_allclose(actions.mean(axis=0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(actions.std(axis=0), [0.5, 2.0], rtol=0.02)
    np.testing.assert_allclose(log_probs, gaussian_log_prob(actions, mean, log_std), atol=1e-5)
