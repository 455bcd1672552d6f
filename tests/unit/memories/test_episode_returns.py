"""Monte-Carlo returns: transitions wait for their episode's end, then leave with returns."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.errors import CheckpointError
from coachrl.memories import MC_RETURNS, EpisodeReturnsBuilder


def _step(t: int, n_envs: int = 2) -> dict[str, np.ndarray]:
    return {B.OBSERVATIONS: np.full((n_envs, 1), float(t), np.float32),
            B.REWARDS: np.array([1.0, 2.0][:n_envs], np.float32)}


def test_an_episode_leaves_whole_with_its_discounted_returns_to_go() -> None:
    builder = EpisodeReturnsBuilder(discount=0.5, n_envs=2)
    valid = np.array([True, True])
    for t in range(2):
        out = builder.add(_step(t), dones=np.array([False, False]), valid=valid)
        assert len(out[MC_RETURNS]) == 0 and out[B.OBSERVATIONS].shape == (0, 1)
    out = builder.add(_step(2), dones=np.array([True, False]), valid=valid)
    # env 0's rewards 1, 1, 1: returns 1 + 0.5 (1 + 0.5) = 1.75, 1.5, 1
    np.testing.assert_allclose(out[MC_RETURNS], [1.75, 1.5, 1.0])
    np.testing.assert_array_equal(out[B.OBSERVATIONS][:, 0], [0, 1, 2])
    assert builder.pending() == 3  # env 1 goes on


def test_reset_steps_are_no_steps_and_open_episodes_survive_a_checkpoint() -> None:
    builder = EpisodeReturnsBuilder(discount=1.0, n_envs=2)
    builder.add(_step(0), dones=np.array([False, False]), valid=np.array([True, False]))
    restored = EpisodeReturnsBuilder(discount=1.0, n_envs=2)
    restored.load_state_dict(builder.state_dict())
    out = restored.add(_step(1), dones=np.array([True, True]), valid=np.array([True, True]))
    np.testing.assert_allclose(out[MC_RETURNS], [2.0, 1.0, 2.0])  # env 0: 1 + 1, 1; env 1: 2
    with pytest.raises(CheckpointError, match="for 2 envs; this run has 3"):
        EpisodeReturnsBuilder(discount=1.0, n_envs=3).load_state_dict(builder.state_dict())
