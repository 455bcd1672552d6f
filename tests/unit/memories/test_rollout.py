"""Rollout buffer: minibatches over valid rows, GAE on finish, mid-rollout checkpoint state."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.core.returns import compute_gae
from coachrl.memories import RolloutBuffer

T, N = 6, 3


def _filled(steps: int = T, seed: int = 0) -> RolloutBuffer:
    """Steps whose observation encodes its (t, env) and with a few invalid (reset) rows."""
    rng = np.random.default_rng(seed)
    buffer = RolloutBuffer(horizon=T, n_envs=N, observation_shape=(2,),
                           observation_dtype=np.float32, action_shape=(), action_dtype=np.int64)
    for t in range(steps):
        dones = np.array([t == 1, t == 3, False])
        valid = np.array([t != 2, t != 4, True])  # the step after each episode end is a reset
        buffer.add(observations=np.array([[t, e] for e in range(N)], dtype=np.float32),
                   actions=rng.integers(0, 2, N), values=rng.normal(size=N).astype(np.float32),
                   log_probs=rng.normal(size=N).astype(np.float32),
                   rewards=rng.normal(size=N).astype(np.float32),
                   terminated=dones & np.array([True, False, False]), dones=dones, valid=valid)
    return buffer


@pytest.mark.parametrize("batch_size", [1, 4, 7, 16, 100])
def test_minibatches_cover_every_valid_row_exactly_once_per_epoch(batch_size: int) -> None:
    buffer = _filled()
    buffer.finish(last_values=np.zeros(N, np.float32), discount=0.9, gae_lambda=0.95)
    rng = np.random.default_rng(0)
    for _ in range(3):  # every epoch
        seen = []
        sizes = []
        for batch in buffer.minibatches(batch_size, rng):
            sizes.append(len(batch[B.OBSERVATIONS]))
            seen += [tuple(int(x) for x in row) for row in batch[B.OBSERVATIONS]]
        expected = {(t, e) for t in range(T) for e in range(N) if buffer.valid[t, e]}
        assert len(seen) == len(expected) == T * N - 2
        assert set(seen) == expected
        assert all(size == batch_size for size in sizes[:-1]) and 0 < sizes[-1] <= batch_size


def test_minibatch_columns_stay_aligned() -> None:
    buffer = _filled()
    buffer.finish(last_values=np.ones(N, np.float32), discount=0.9, gae_lambda=0.95)
    for batch in buffer.minibatches(5, np.random.default_rng(1)):
        t, e = batch[B.OBSERVATIONS][:, 0].astype(int), batch[B.OBSERVATIONS][:, 1].astype(int)
        np.testing.assert_array_equal(batch[B.ACTIONS], buffer.actions[t, e])
        np.testing.assert_array_equal(batch[B.LOG_PROBS], buffer.log_probs[t, e])
        np.testing.assert_array_equal(batch[B.OLD_VALUES], buffer.values[t, e])
        np.testing.assert_array_equal(batch[B.ADVANTAGES], buffer.advantages[t, e])
        np.testing.assert_array_equal(batch[B.RETURNS], buffer.returns[t, e])


def test_finish_computes_gae_like_compute_gae() -> None:
    buffer = _filled()
    last_values = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    buffer.finish(last_values=last_values, discount=0.97, gae_lambda=0.9)
    advantages, returns = compute_gae(
        rewards=buffer.rewards, values=buffer.values, last_values=last_values,
        terminated=buffer.terminated, dones=buffer.dones, discount=0.97, gae_lambda=0.9)
    np.testing.assert_array_equal(buffer.advantages, advantages)
    np.testing.assert_array_equal(buffer.returns, returns)
    assert buffer.full


def test_state_dict_round_trip_mid_rollout_resumes_the_rollout() -> None:
    partial = _filled(steps=3)
    restored = RolloutBuffer(horizon=T, n_envs=N, observation_shape=(2,),
                             observation_dtype=np.float32, action_shape=(),
                             action_dtype=np.int64)
    restored.load_state_dict(partial.state_dict())
    assert restored.step == 3 and not restored.full
    for key in RolloutBuffer.STORED:
        np.testing.assert_array_equal(getattr(restored, key)[:3], getattr(partial, key)[:3])
    complete = _filled()
    for buffer in (partial, restored):  # add the same last 3 steps to both
        for t in range(3, T):
            buffer.add(observations=complete.observations[t], actions=complete.actions[t],
                       values=complete.values[t], log_probs=complete.log_probs[t],
                       rewards=complete.rewards[t], terminated=complete.terminated[t],
                       dones=complete.dones[t], valid=complete.valid[t])
        buffer.finish(last_values=np.zeros(N, np.float32), discount=0.9, gae_lambda=0.9)
    np.testing.assert_array_equal(restored.advantages, partial.advantages)
    a = list(partial.minibatches(4, np.random.default_rng(5)))
    b = list(restored.minibatches(4, np.random.default_rng(5)))
    for x, y in zip(a, b, strict=True):
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])


def test_reset_starts_a_new_rollout() -> None:
    buffer = _filled()
    buffer.reset()
    assert buffer.step == 0 and not buffer.full
    assert buffer.state_dict()["observations"].shape == (0, N, 2)


def test_whole_holds_every_valid_row_once_in_time_order() -> None:
    buffer = _filled()
    buffer.finish(last_values=np.ones(N, np.float32), discount=0.9, gae_lambda=0.95)
    batch = buffer.whole()
    t, e = batch[B.OBSERVATIONS][:, 0].astype(int), batch[B.OBSERVATIONS][:, 1].astype(int)
    expected = [(s, k) for s in range(T) for k in range(N) if buffer.valid[s, k]]
    assert list(zip(t.tolist(), e.tolist(), strict=True)) == expected
    assert buffer.valid_steps == len(expected) == T * N - 2
    np.testing.assert_array_equal(batch[B.ADVANTAGES], buffer.advantages[t, e])
    np.testing.assert_array_equal(batch[B.RETURNS], buffer.returns[t, e])
    np.testing.assert_array_equal(batch[B.LOG_PROBS], buffer.log_probs[t, e])


def test_valid_steps_counts_only_the_steps_stored_so_far() -> None:
    assert _filled(steps=3).valid_steps == 3 * N - 1  # step 2 of env 0 is a reset step
