"""Declared columns: replay and prioritised replay store and sample an agent's own columns
together with the transition, and refuse rows that do not match the declaration."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.memories import Column, PrioritizedReplay, ReplayBuffer, transition_columns

EXTRA = (Column(B.MASKS, (4,)), Column(B.LOG_PROBS), Column("head", (), np.int64))


def _columns() -> tuple[Column, ...]:
    return transition_columns(observation_shape=(3,), observation_dtype=np.float32,
                              action_shape=(), action_dtype=np.int64, extra=EXTRA)


def _rows(ids: np.ndarray) -> dict[str, np.ndarray]:
    f = ids.astype(np.float32)
    return {B.OBSERVATIONS: np.repeat(f[:, None], 3, 1), B.ACTIONS: ids,
            B.REWARDS: f, B.NEXT_OBSERVATIONS: np.repeat(f[:, None] + 1, 3, 1),
            B.TERMINATED: np.zeros(len(ids), np.float32),
            B.MASKS: np.repeat(f[:, None] * 10, 4, 1), B.LOG_PROBS: -f, "head": ids % 3}


@pytest.mark.parametrize("kind", [ReplayBuffer, PrioritizedReplay])
def test_extra_columns_are_stored_and_sampled_with_their_transition(kind: type) -> None:
    memory = kind(capacity=50, columns=_columns())
    memory.add(_rows(np.arange(30)))
    batch = memory.sample(64, np.random.default_rng(0))
    ids = batch[B.ACTIONS]
    assert batch[B.MASKS].shape == (64, 4) and batch[B.MASKS].dtype == np.float32
    np.testing.assert_array_equal(batch[B.MASKS][:, 0], ids * 10)
    np.testing.assert_array_equal(batch[B.LOG_PROBS], -ids)
    np.testing.assert_array_equal(batch["head"], ids % 3)
    assert batch["head"].dtype == np.int64


def test_the_state_round_trip_keeps_the_extra_columns() -> None:
    memory = ReplayBuffer(capacity=8, columns=_columns())
    memory.add(_rows(np.arange(11)))  # wraps
    restored = ReplayBuffer(capacity=8, columns=_columns())
    restored.load_state_dict(memory.state_dict())
    for key, array in memory.storage.items():
        np.testing.assert_array_equal(restored.storage[key], array, err_msg=key)


def test_rows_without_a_declared_column_are_refused_by_name() -> None:
    memory = ReplayBuffer(capacity=8, columns=_columns())
    rows = _rows(np.arange(3))
    del rows[B.MASKS]
    with pytest.raises(ConfigError, match="no masks"):
        memory.add(rows)
    rows = _rows(np.arange(3)) | {"goal": np.zeros(3)}
    with pytest.raises(ConfigError, match="undeclared goal"):
        memory.add(rows)


def test_a_column_declared_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="declared twice: rewards"):
        transition_columns(observation_shape=(3,), observation_dtype=np.float32,
                           action_shape=(), action_dtype=np.int64, extra=(Column(B.REWARDS),))
