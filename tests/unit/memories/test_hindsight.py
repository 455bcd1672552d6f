"""Hindsight relabelling on a hand-made episode: each strategy's goals, rewards, terminations."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.memories import Episode, GoalReward, GoalStrategy, hindsight_relabel

RECORD = np.dtype([("observation", np.int8, (2,)), ("achieved_goal", np.int8, (2,)),
                   ("desired_goal", np.int8, (2,))])
REWARD = GoalReward(tolerance=0.0, success=0.0, failure=-1.0)


def _episode() -> Episode:
    """Three steps through states (0,0) -> (1,0) -> (1,1) -> (0,1), goal (1,1) missed at the end."""
    states = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.int8)
    goal = np.array([1, 1], np.int8)

    def records(rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows), RECORD)
        out["observation"], out["achieved_goal"], out["desired_goal"] = rows, rows, goal
        return out

    return Episode({B.OBSERVATIONS: records(states[:3]), B.NEXT_OBSERVATIONS: records(states[1:]),
                    B.ACTIONS: np.array([0, 1, 0]),
                    B.REWARDS: np.array([-1.0, 0.0, -1.0], np.float32),
                    B.TERMINATED: np.zeros(3, np.float32)})


def test_final_relabels_every_step_with_the_last_achieved_goal() -> None:
    original, (copy,) = hindsight_relabel(strategy=GoalStrategy.FINAL, goals=1, reward=REWARD,
                                          terminate_on_success=False)(
        _episode(), np.random.default_rng(0))[0], hindsight_relabel(
        strategy=GoalStrategy.FINAL, goals=1, reward=REWARD, terminate_on_success=False)(
        _episode(), np.random.default_rng(0))[1:]
    assert original.data[B.REWARDS].tolist() == [-1.0, 0.0, -1.0]
    np.testing.assert_array_equal(copy.data[B.OBSERVATIONS]["desired_goal"], [[0, 1]] * 3)
    np.testing.assert_array_equal(copy.data[B.NEXT_OBSERVATIONS]["desired_goal"], [[0, 1]] * 3)
    assert copy.data[B.REWARDS].tolist() == [-1.0, -1.0, 0.0]  # only the last step reaches it
    assert copy.data[B.TERMINATED].tolist() == [0.0, 0.0, 0.0]  # as the episode said
    np.testing.assert_array_equal(copy.data[B.OBSERVATIONS]["observation"],
                                  _episode().data[B.OBSERVATIONS]["observation"])


def test_future_goals_come_from_the_step_itself_or_later_and_success_terminates() -> None:
    relabel = hindsight_relabel(strategy=GoalStrategy.FUTURE, goals=50, reward=REWARD)
    copies = relabel(_episode(), np.random.default_rng(1))[1:]
    achieved = _episode().data[B.NEXT_OBSERVATIONS]["achieved_goal"]
    for copy in copies:
        goals = copy.data[B.OBSERVATIONS]["desired_goal"]
        for t in range(3):
            assert any((goals[t] == achieved[g]).all() for g in range(t, 3))
        success = copy.data[B.REWARDS] == 0.0
        np.testing.assert_array_equal(copy.data[B.TERMINATED], success.astype(np.float32))
    last = np.array([copy.data[B.OBSERVATIONS]["desired_goal"][2] for copy in copies])
    assert (last == achieved[2]).all()  # the last step's only future is itself


@pytest.mark.parametrize("strategy", [GoalStrategy.EPISODE, GoalStrategy.RANDOM])
def test_episode_and_random_goals_come_from_this_and_earlier_episodes(strategy) -> None:
    relabel = hindsight_relabel(strategy=strategy, goals=2, reward=REWARD)
    rng = np.random.default_rng(2)
    first = relabel(_episode(), rng)
    assert len(first) == (1 if strategy is GoalStrategy.RANDOM else 3)  # random: no past yet
    second = relabel(_episode(), rng)
    achieved = {tuple(g) for g in _episode().data[B.NEXT_OBSERVATIONS]["achieved_goal"]}
    for copy in second[1:]:
        assert {tuple(g) for g in copy.data[B.OBSERVATIONS]["desired_goal"]} <= achieved


def test_the_goal_reward_uses_the_tolerance() -> None:
    reward = GoalReward(tolerance=0.05, success=0.0, failure=-1.0)
    np.testing.assert_array_equal(reward(np.array([[0.0, 0.04], [0.1, 0.0]]), np.zeros(2)),
                                  [0.0, -1.0])


@pytest.mark.parametrize(("terminates", "expected"), [(True, [0.0, 0.0, 1.0]),
                                                      (False, [0.0, 0.0, 0.0])])
def test_memory_params_choose_whether_a_reached_goal_ends_the_relabelled_episode(
        terminates: bool, expected: list[float]) -> None:
    """Fetch runs to its time limit whether or not the arm is at the goal: its relabelled
    copies keep the env's terminations (goal_terminates=False); BitFlip's end on success."""
    from coachrl.agent.replay import _hindsight
    from coachrl.params import Hindsight, MemoryKind, MemoryParams

    relabel = _hindsight(MemoryParams(kind=MemoryKind.EPISODIC, hindsight=Hindsight.FINAL,
                                      hindsight_goals=1, goal_terminates=terminates))
    assert relabel is not None
    _, copy = relabel(_episode(), np.random.default_rng(0))
    np.testing.assert_array_equal(copy.data[B.REWARDS], [-1.0, -1.0, 0.0])
    np.testing.assert_array_equal(copy.data[B.TERMINATED], expected)
