"""Observation normaliser (running mean/std, clip, state) and reward scale/clip."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.filters import ObservationNormalizer, RewardFilter


@pytest.mark.parametrize("batch_sizes", [[1000], [1] * 50, [3, 17, 100, 1, 64]])
def test_normalizer_statistics_match_numpy_over_all_batches(batch_sizes: list[int]) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(loc=[3.0, -2.0], scale=[0.5, 4.0], size=(sum(batch_sizes), 2))
    normalizer = ObservationNormalizer((2,))
    start = 0
    for size in batch_sizes:
        normalizer.update(data[start:start + size])
        start += size
    # the initial count of 1e-4 (mean 0, var 1) perturbs the result by about 1e-4 / n
    np.testing.assert_allclose(normalizer.mean, data.mean(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(normalizer.var, data.var(axis=0), rtol=1e-4, atol=1e-5)
    assert normalizer.count == pytest.approx(len(data) + 1e-4)
    scaled = normalizer(data)
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0, atol=1e-3)
    assert scaled.dtype == np.float32


def test_normalizer_clips_to_the_given_bound() -> None:
    normalizer = ObservationNormalizer((1,), clip=2.0)
    normalizer.update(np.array([[-1.0], [1.0]]))  # mean ~0, var ~1
    out = normalizer(np.array([[100.0], [-100.0], [0.5]]))
    np.testing.assert_allclose(out[:, 0], [2.0, -2.0, 0.5], atol=1e-3)


def test_normalizer_state_round_trip_gives_the_same_outputs() -> None:
    rng = np.random.default_rng(1)
    normalizer = ObservationNormalizer((3,))
    normalizer.update(rng.normal(size=(40, 3)) * 5 + 2)
    restored = ObservationNormalizer((3,))
    restored.load_state_dict(normalizer.state_dict())
    probe = rng.normal(size=(5, 3))
    np.testing.assert_array_equal(restored(probe), normalizer(probe))
    batch = rng.normal(size=(7, 3))
    normalizer.update(batch)
    restored.update(batch)
    np.testing.assert_array_equal(restored.mean, normalizer.mean)
    np.testing.assert_array_equal(restored.var, normalizer.var)


@pytest.mark.parametrize(("scale", "clip", "expected"), [
    (1.0, 0.0, [-5.0, -0.5, 0.0, 0.5, 5.0]),
    (0.1, 0.0, [-0.5, -0.05, 0.0, 0.05, 0.5]),
    (1.0, 1.0, [-1.0, -0.5, 0.0, 0.5, 1.0]),
    (2.0, 1.5, [-1.5, -1.0, 0.0, 1.0, 1.5]),
])
def test_reward_filter_scales_then_clips(scale: float, clip: float, expected: list[float]) -> None:
    out = RewardFilter(scale=scale, clip=clip)(np.array([-5.0, -0.5, 0.0, 0.5, 5.0]))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32
