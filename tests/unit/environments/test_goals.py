"""BitFlip and ExplorationChain dynamics."""

from __future__ import annotations

import numpy as np
from gymnasium.utils.env_checker import check_env

from coachrl.environments.goals import BitFlip, ExplorationChain


def test_bitflip_flips_one_bit_per_action_and_ends_at_the_goal() -> None:
    env = BitFlip(n_bits=4)
    observation, _ = env.reset(seed=0)
    goal, state = observation["desired_goal"], observation["observation"].copy()
    assert not (goal == state).all()
    rewards = []
    for bit in np.flatnonzero(goal != state):
        observation, reward, terminated, truncated, info = env.step(bit)
        rewards.append(reward)
    assert rewards[-1] == 0.0 and set(rewards[:-1]) <= {-1.0}
    assert terminated and not truncated and info["is_success"]
    np.testing.assert_array_equal(observation["achieved_goal"], goal)


def test_bitflip_truncates_after_n_steps_and_computes_rewards_in_batches() -> None:
    env = BitFlip(n_bits=3)
    observation, _ = env.reset(seed=1)
    differing = np.flatnonzero(observation["desired_goal"] != observation["observation"])
    wrong = [b for b in range(3) if b not in differing] or [int(differing[0])]
    for _ in range(3):
        _, _, terminated, truncated, _ = env.step(wrong[0])
        if terminated:
            break
    assert terminated or truncated
    achieved = np.array([[0, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(env.compute_reward(achieved, np.array([1, 1, 1])), [-1, 0])
    check_env(BitFlip(n_bits=5), skip_render_check=True)


def test_exploration_chain_pays_only_at_its_ends() -> None:
    env = ExplorationChain(n=5)
    observation, _ = env.reset(seed=0)
    assert observation.argmax() == 1
    returns = [env.step(1)[1] for _ in range(3)]
    assert returns == [0.0, 0.0, 1.0] and env.position == 4
    env.reset()
    _, reward, terminated, _, _ = env.step(0)
    assert reward == 1e-3 and not terminated
    for _ in range(13):
        _, _, terminated, truncated, _ = env.step(0)
    assert truncated and not terminated  # n + 9 = 14 steps
    check_env(ExplorationChain(n=5), skip_render_check=True)
