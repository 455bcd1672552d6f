"""Rollout buffer sequences for recurrent policies: chunks in time order, burn-in steps not
trained, stored states at window starts, episode starts after autoreset steps."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.memories import RolloutBuffer

T, N, S = 8, 2, 3


def _filled() -> RolloutBuffer:
    """Observations encode (t, env); the recurrent state at (t, env) is 100 t + env in every
    component; env 0 has an autoreset step at t = 3 (its episode ended at t = 2)."""
    buffer = RolloutBuffer(horizon=T, n_envs=N, observation_shape=(2,),
                           observation_dtype=np.float32, action_shape=(), action_dtype=np.int64)
    for t in range(T):
        valid = np.array([t != 3, True])
        buffer.add(observations=np.array([[t, e] for e in range(N)], np.float32),
                   actions=np.full(N, t), values=np.zeros(N, np.float32),
                   log_probs=np.zeros(N, np.float32), rewards=np.ones(N, np.float32),
                   terminated=np.array([t == 2, False]), dones=np.array([t == 2, False]),
                   valid=valid,
                   recurrent_state=np.repeat(100.0 * t + np.arange(N), S).reshape(N, S))
    buffer.finish(last_values=np.zeros(N, np.float32), discount=0.9, gae_lambda=0.95)
    return buffer


def test_sequences_without_burn_in_partition_each_env_in_time_order() -> None:
    out = _filled().sequences(length=4)
    times = out[B.OBSERVATIONS][..., 0]  # [S, W]
    envs = out[B.OBSERVATIONS][..., 1]
    np.testing.assert_array_equal(times, [[0, 1, 2, 3], [4, 5, 6, 7]] * 2)
    np.testing.assert_array_equal(envs[:, 0], [0, 0, 1, 1])
    np.testing.assert_array_equal(out[B.RECURRENT_STATE][:, 0], [0, 400, 1, 401])
    # the autoreset step of env 0 (t = 3) is not trained; every other step is, once
    np.testing.assert_array_equal(out[B.LOSS_MASK][0], [True, True, True, False])
    assert out[B.LOSS_MASK].sum() == T * N - 1


def test_burn_in_steps_warm_the_state_but_are_not_trained() -> None:
    out = _filled().sequences(length=3, burn_in=2)
    times = out[B.OBSERVATIONS][..., 0]
    width = times.shape[1]
    assert width == 5
    # env 0's chunks: trained [0, 3), [3, 6), [6, 8); windows from max(start - 2, 0)
    np.testing.assert_array_equal(times[0, :3], [0, 1, 2])
    np.testing.assert_array_equal(times[1], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(times[2, :4], [4, 5, 6, 7])
    np.testing.assert_array_equal(out[B.LOSS_MASK][0], [True, True, True, False, False])
    np.testing.assert_array_equal(out[B.LOSS_MASK][1], [False, False, False, True, True])
    np.testing.assert_array_equal(out[B.LOSS_MASK][2], [False, False, True, True, False])
    # each window starts from the state stored at its first step
    np.testing.assert_array_equal(out[B.RECURRENT_STATE][:3, 0], [0, 100, 400])
    # every valid step is trained exactly once over all the sequences
    trained = [(int(t), int(e)) for t, e, m in zip(times.ravel(),
                                                  out[B.OBSERVATIONS][..., 1].ravel(),
                                                  out[B.LOSS_MASK].ravel(), strict=True) if m]
    assert sorted(trained) == sorted((t, e) for t in range(T) for e in range(N)
                                     if (t, e) != (3, 0))


def test_episode_starts_follow_autoreset_steps_inside_a_window() -> None:
    out = _filled().sequences(length=8)
    np.testing.assert_array_equal(np.flatnonzero(out[B.EPISODE_STARTS][0]), [4])
    assert not out[B.EPISODE_STARTS][1].any()
    # a window that begins right after the autoreset step starts from the stored state
    later = _filled().sequences(length=4)
    assert not later[B.EPISODE_STARTS][:, 0].any()


@pytest.mark.parametrize(("batch_size", "per_batch"), [(4, 1), (8, 2), (1 << 30, 4)])
def test_sequence_minibatches_hold_whole_sequences_in_time_order(batch_size: int,
                                                                 per_batch: int) -> None:
    buffer = _filled()
    seen = []
    for batch in buffer.sequence_minibatches(batch_size, np.random.default_rng(0), length=4):
        assert len(batch[B.RECURRENT_STATE]) == per_batch
        rows = batch[B.OBSERVATIONS].reshape(per_batch, 4, 2)
        for sequence, state in zip(rows, batch[B.RECURRENT_STATE], strict=True):
            np.testing.assert_array_equal(np.diff(sequence[:, 0]), 1)  # consecutive steps
            assert len(set(sequence[:, 1])) == 1  # of one env
            assert state[0] == 100 * sequence[0, 0] + sequence[0, 1]
            seen.append((int(sequence[0, 0]), int(sequence[0, 1])))
        np.testing.assert_array_equal(batch[B.ACTIONS], batch[B.OBSERVATIONS][:, 0])
    assert sorted(seen) == [(0, 0), (0, 1), (4, 0), (4, 1)]


def test_recurrent_states_survive_a_mid_rollout_checkpoint() -> None:
    buffer = _filled()
    buffer.step = 5
    restored = RolloutBuffer(horizon=T, n_envs=N, observation_shape=(2,),
                             observation_dtype=np.float32, action_shape=(),
                             action_dtype=np.int64)
    restored.load_state_dict(buffer.state_dict())
    assert restored.recurrent_states is not None and buffer.recurrent_states is not None
    np.testing.assert_array_equal(restored.recurrent_states[:5], buffer.recurrent_states[:5])
