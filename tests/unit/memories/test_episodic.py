"""Episodic memory: only whole episodes, the oldest whole episodes evicted, uniform transition
sampling, episode sampling, the relabelling hook, and the checkpoint round trip."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.memories import Column, Episode, EpisodicMemory

COLUMNS = (Column(B.OBSERVATIONS, (2,)), Column(B.ACTIONS, (), np.int64), Column(B.REWARDS),
           Column("goal", (2,)))


def _episode(first: int, length: int) -> Episode:
    ids = np.arange(first, first + length)
    return Episode({B.OBSERVATIONS: np.repeat(ids[:, None], 2, 1).astype(np.float32),
                    B.ACTIONS: ids, B.REWARDS: np.zeros(length, np.float32),
                    "goal": np.full((length, 2), first, np.float32)})


def _episode_ids(memory: EpisodicMemory) -> list[int]:
    return [int(e.data[B.ACTIONS][0]) for e in memory.episodes()]


def test_steps_wait_until_their_episode_ends() -> None:
    memory = EpisodicMemory(capacity=100, columns=COLUMNS, n_envs=2)
    for t in range(5):
        step = {B.OBSERVATIONS: np.full((2, 2), t, np.float32), B.ACTIONS: np.array([t, 100 + t]),
                B.REWARDS: np.ones(2, np.float32), "goal": np.zeros((2, 2), np.float32)}
        memory.add_step(step, valid=np.array([True, t != 2]), dones=np.array([t == 3, False]))
    assert memory.episode_count == 1 and len(memory) == 4  # env 0's episode t = 0..3
    np.testing.assert_array_equal(next(memory.episodes()).data[B.ACTIONS], [0, 1, 2, 3])
    assert [len(rows) for rows in memory.open] == [1, 4]  # env 1 skipped its reset step


def test_the_oldest_whole_episodes_make_room() -> None:
    memory = EpisodicMemory(capacity=10, columns=COLUMNS)
    for first, length in ((0, 4), (10, 4), (20, 3), (30, 4), (40, 2), (50, 5)):
        memory.add_episode(_episode(first, length))
        assert len(memory) <= 10
        for episode in memory.episodes():  # never part of an episode
            ids = episode.data[B.ACTIONS]
            np.testing.assert_array_equal(ids, np.arange(ids[0], ids[0] + len(ids)))
    assert _episode_ids(memory) == [40, 50]  # 30 was overwritten by 50 after the wrap


def test_an_episode_larger_than_the_memory_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="12 steps does not fit a memory of 10"):
        EpisodicMemory(capacity=10, columns=COLUMNS).add_episode(_episode(0, 12))


def test_transitions_are_sampled_uniformly_from_finished_episodes() -> None:
    memory = EpisodicMemory(capacity=1000, columns=COLUMNS)
    memory.add_episode(_episode(0, 10))
    memory.add_episode(_episode(100, 30))
    batch = memory.sample(40_000, np.random.default_rng(0))
    from_second = np.mean(batch[B.ACTIONS] >= 100)
    assert abs(from_second - 0.75) < 0.01  # 30 of 40 transitions
    np.testing.assert_array_equal(batch[B.OBSERVATIONS][:, 0], batch[B.ACTIONS])
    episodes = memory.sample_episodes(3, np.random.default_rng(1))
    assert all(len(e) in (10, 30) for e in episodes)


def test_the_relabelling_hook_stores_what_it_returns() -> None:
    """Hindsight replay's shape: each episode stored as is and with its final state as goal."""
    def final_goal(episode: Episode, rng: np.random.Generator) -> list[Episode]:
        del rng
        relabelled = dict(episode.data)
        relabelled["goal"] = np.repeat(episode.data[B.OBSERVATIONS][-1:], len(episode), 0)
        return [episode, Episode(relabelled)]

    memory = EpisodicMemory(capacity=100, columns=COLUMNS, relabel=final_goal)
    memory.add_episode(_episode(5, 3))
    original, relabelled = memory.episodes()
    np.testing.assert_array_equal(original.data["goal"], [[5, 5]] * 3)
    np.testing.assert_array_equal(relabelled.data["goal"], [[7, 7]] * 3)


def test_the_state_round_trip_keeps_episodes_and_open_steps() -> None:
    memory = EpisodicMemory(capacity=10, columns=COLUMNS, n_envs=2)
    for first, length in ((0, 4), (10, 4), (20, 3)):
        memory.add_episode(_episode(first, length))
    step = {B.OBSERVATIONS: np.ones((2, 2), np.float32), B.ACTIONS: np.array([7, 8]),
            B.REWARDS: np.ones(2, np.float32), "goal": np.zeros((2, 2), np.float32)}
    memory.add_step(step, valid=np.array([True, False]), dones=np.zeros(2, bool))
    restored = EpisodicMemory(capacity=10, columns=COLUMNS, n_envs=2)
    restored.load_state_dict(memory.state_dict())
    assert _episode_ids(restored) == _episode_ids(memory) == [10, 20]
    assert [len(rows) for rows in restored.open] == [1, 0]
    assert int(restored.open[0][0][B.ACTIONS]) == 7
    a = memory.sample(16, np.random.default_rng(3))
    b = restored.sample(16, np.random.default_rng(3))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
