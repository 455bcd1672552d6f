"""Squashed Gaussian exploration: tanh of a Gaussian sample, tanh(mean) when not exploring."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.exploration import SquashedGaussian

MEAN = np.full((20_000, 1), 0.5, dtype=np.float32)
LOG_STD = np.full((20_000, 1), np.log(0.3), dtype=np.float32)


def test_exploring_draws_tanh_of_a_gaussian_sample() -> None:
    actions, log_probs = SquashedGaussian().select(
        MEAN, step=0, rng=np.random.default_rng(0), explore=True, log_std=LOG_STD)
    assert actions.dtype == np.float32 and log_probs.size == 0
    assert np.all(np.abs(actions) < 1.0)
    pre_squash = np.arctanh(actions.astype(np.float64))
    assert pre_squash.mean() == pytest.approx(0.5, abs=0.01)
    assert pre_squash.std() == pytest.approx(0.3, abs=0.01)


def test_not_exploring_gives_tanh_of_the_mean() -> None:
    actions, _ = SquashedGaussian().select(MEAN[:3], step=0, rng=np.random.default_rng(0),
                                           explore=False, log_std=LOG_STD[:3])
    np.testing.assert_array_equal(actions, np.tanh(MEAN[:3]))


def test_exploring_without_a_log_std_is_an_error() -> None:
    with pytest.raises(ValueError, match="log-std"):
        SquashedGaussian().select(MEAN, step=0, rng=np.random.default_rng(0), explore=True)
