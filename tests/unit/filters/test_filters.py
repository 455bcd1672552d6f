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


def test_what_workers_learnt_since_a_broadcast_merges_into_the_statistics_of_all() -> None:
    """Rollout workers start from the learner's statistics, each adds its own observations,
    and sends ``since``; the learner's merge of both equals one normaliser fed everything."""
    rng = np.random.default_rng(3)
    first = rng.normal(2.0, 3.0, size=(40, 4))
    ours = [rng.normal(-1.0, 0.5, size=(8, 4)) for _ in range(5)]
    theirs = [rng.normal(4.0, 2.0, size=(8, 4)) for _ in range(3)]
    learner, everything = ObservationNormalizer((4,)), ObservationNormalizer((4,))
    learner.update(first)
    broadcast = learner.state_dict()
    contributions = []
    for batches in (ours, theirs):
        worker = ObservationNormalizer((4,))
        worker.load_state_dict(broadcast)
        for batch in batches:
            worker.update(batch)
        contributions.append(worker.since(broadcast))
    for contribution in contributions:
        learner.merge(contribution["mean"], contribution["var"], contribution["count"])
    everything.update(np.concatenate([first, *ours, *theirs]))
    assert learner.count == pytest.approx(everything.count)
    np.testing.assert_allclose(learner.mean, everything.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(learner.var, everything.var, rtol=1e-10)


def test_nothing_new_since_a_state_is_an_empty_contribution() -> None:
    normalizer = ObservationNormalizer((2,))
    normalizer.update(np.ones((3, 2)))
    nothing = normalizer.since(normalizer.state_dict())
    assert nothing["count"] == 0.0
    before = normalizer.state_dict()
    normalizer.merge(nothing["mean"], nothing["var"], 1e-300)  # a no-op in effect
    np.testing.assert_allclose(normalizer.mean, before["mean"])
