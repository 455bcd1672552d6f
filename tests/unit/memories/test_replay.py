"""Uniform replay ring buffer: shapes, wrap-around, sampling range, checkpoint state."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.errors import CheckpointError
from coachrl.memories import ReplayBuffer, transition_columns

OBS_SHAPE = (3,)


def _buffer(capacity: int = 5, action_shape: tuple[int, ...] = ()) -> ReplayBuffer:
    return ReplayBuffer(capacity=capacity, columns=transition_columns(
        observation_shape=OBS_SHAPE, observation_dtype=np.float32, action_shape=action_shape,
        action_dtype=np.int64 if not action_shape else np.float32))


def _transitions(ids: list[int], action_shape: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
    """Transition i has observation [i, i, i], next observation [i+0.5]*3, reward i, action i."""
    ids_f = np.asarray(ids, dtype=np.float32)
    actions = np.asarray(ids, dtype=np.int64) if not action_shape else np.repeat(
        ids_f[:, None], action_shape[0], axis=1)
    return {
        B.OBSERVATIONS: np.repeat(ids_f[:, None], 3, axis=1),
        B.NEXT_OBSERVATIONS: np.repeat(ids_f[:, None] + 0.5, 3, axis=1),
        B.ACTIONS: actions,
        B.REWARDS: ids_f,
        B.TERMINATED: (ids_f % 2 == 0).astype(np.float32),
    }


@pytest.mark.parametrize("action_shape", [(), (2,)])
def test_sample_returns_a_batch_with_the_stored_shapes(action_shape: tuple[int, ...]) -> None:
    buffer = _buffer(capacity=10, action_shape=action_shape)
    buffer.add(_transitions([0, 1, 2, 3], action_shape))
    batch = buffer.sample(7, np.random.default_rng(0))
    assert batch[B.OBSERVATIONS].shape == (7, 3)
    assert batch[B.NEXT_OBSERVATIONS].shape == (7, 3)
    assert batch[B.ACTIONS].shape == (7, *action_shape)
    assert batch[B.REWARDS].shape == (7,) and batch[B.TERMINATED].shape == (7,)
    # every sampled row is one whole transition
    np.testing.assert_array_equal(batch[B.OBSERVATIONS][:, 0], batch[B.REWARDS])
    np.testing.assert_array_equal(batch[B.NEXT_OBSERVATIONS][:, 0], batch[B.REWARDS] + 0.5)


@pytest.mark.parametrize("chunks", [[7], [3, 4], [1] * 7, [4, 0, 3], [2, 5]])
def test_wrap_around_overwrites_the_oldest_transitions(chunks: list[int]) -> None:
    buffer = _buffer(capacity=5)
    start = 0
    for size in chunks:
        buffer.add(_transitions(list(range(start, start + size))))
        start += size
    assert len(buffer) == 5 and buffer.position == 2
    # ids 0 and 1 were overwritten by 5 and 6 in slots 0 and 1
    np.testing.assert_array_equal(buffer.storage[B.REWARDS], [5, 6, 2, 3, 4])


def test_adding_more_than_capacity_at_once_keeps_the_newest() -> None:
    buffer = _buffer(capacity=4)
    buffer.add(_transitions(list(range(6))))
    assert len(buffer) == 4
    assert sorted(buffer.storage[B.REWARDS].tolist()) == [2, 3, 4, 5]


def test_sample_draws_only_from_the_filled_part() -> None:
    buffer = _buffer(capacity=100)
    buffer.add(_transitions([10, 11, 12]))
    batch = buffer.sample(2_000, np.random.default_rng(1))
    assert set(batch[B.REWARDS].tolist()) == {10.0, 11.0, 12.0}


def test_sample_from_an_empty_buffer_is_refused() -> None:
    with pytest.raises(RuntimeError, match="empty replay buffer"):
        _buffer().sample(1, np.random.default_rng(0))


def test_state_dict_round_trip_restores_contents_and_position() -> None:
    buffer = _buffer(capacity=5)
    buffer.add(_transitions(list(range(7))))
    restored = _buffer(capacity=5)
    restored.load_state_dict(buffer.state_dict())
    assert (restored.size, restored.position) == (5, 2)
    for key in buffer.storage:
        np.testing.assert_array_equal(restored.storage[key], buffer.storage[key])
    # the next add goes to the same slot in both
    buffer.add(_transitions([99]))
    restored.add(_transitions([99]))
    np.testing.assert_array_equal(restored.storage[B.REWARDS], buffer.storage[B.REWARDS])
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(buffer.sample(8, rng_a)[B.REWARDS],
                                  restored.sample(8, rng_b)[B.REWARDS])


def test_state_dict_of_a_partly_filled_buffer_holds_only_the_filled_rows() -> None:
    buffer = _buffer(capacity=50)
    buffer.add(_transitions([1, 2]))
    state = buffer.state_dict()
    assert state["storage"][B.OBSERVATIONS].shape == (2, 3)
    restored = _buffer(capacity=50)
    restored.load_state_dict(state)
    assert len(restored) == 2 and restored.position == 2


def test_loading_a_state_of_another_capacity_is_refused() -> None:
    buffer = _buffer(capacity=5)
    buffer.add(_transitions([1]))
    with pytest.raises(CheckpointError,
                       match=r"capacity in checkpoint is 5.*memory\.capacity is 8"):
        _buffer(capacity=8).load_state_dict(buffer.state_dict())
