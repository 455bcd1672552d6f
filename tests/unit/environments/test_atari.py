"""Atari preprocessing: the life-loss episodes on a synthetic game, and the whole pipeline on
ALE's Breakout (its ROM ships with ale-py): uint8 stacks of 84x84 frames, clipped rewards and
life-loss episodes for training only."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from coachrl.environments.atari import EpisodicLife
from coachrl.environments.gym_env import make_env
from coachrl.params import EnvironmentParams


class _Lives(gym.Env):
    """A game of 3 lives; each step loses one life when its action is 1; game over at 0."""

    observation_space = gym.spaces.Box(0, 255, (2,), np.uint8)
    action_space = gym.spaces.Discrete(2)

    def __init__(self) -> None:
        self.lives, self.resets, self.noops = 3, 0, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.lives, self.resets = 3, self.resets + 1
        return np.zeros(2, np.uint8), {"lives": self.lives}

    def step(self, action):
        self.noops += int(action == 0)
        self.lives -= int(action == 1)
        return np.full(2, self.lives, np.uint8), 1.0, self.lives == 0, False, {"lives": self.lives}


def test_a_lost_life_ends_the_learning_episode_but_not_the_game() -> None:
    env = EpisodicLife(_Lives())
    env.reset(seed=0)
    assert env.unwrapped.resets == 1
    _, _, terminated, _, _ = env.step(1)  # 3 -> 2 lives
    assert terminated
    observation, info = env.reset()
    assert env.unwrapped.resets == 1 and env.unwrapped.noops == 1  # a no-op, not a new game
    assert info["lives"] == 2 and observation.tolist() == [2, 2]
    env.step(1)
    env.reset()
    _, _, terminated, _, _ = env.step(1)  # the last life: game over
    assert terminated
    env.reset()
    assert env.unwrapped.resets == 2  # a real reset now


def _params(**atari) -> EnvironmentParams:
    params = EnvironmentParams(env_id="ALE/Breakout-v5", preprocessing="atari")
    for key, value in atari.items():
        setattr(params.atari, key, value)
    return params


def test_the_pipeline_gives_uint8_stacks_and_training_only_changes() -> None:
    rng = np.random.default_rng(0)
    for training in (True, False):
        env = make_env(_params(), training=training)
        observation, _ = env.reset(seed=0)
        assert observation.shape == (4, 84, 84) and observation.dtype == np.uint8
        assert env.observation_space.shape == (4, 84, 84)
        rewards, ends, steps = [], 0, 0
        while steps < 600:
            observation, reward, terminated, truncated, info = env.step(
                int(rng.integers(0, env.action_space.n)))
            rewards.append(reward)
            steps += 1
            if terminated or truncated:
                ends += 1
                lives = info["lives"]
                env.reset()
                if training:
                    assert lives > 0 or terminated  # training: episodes end at lost lives
                else:
                    assert lives == 0  # evaluation: only at game over
        if training:
            assert set(np.unique(rewards)) <= {-1.0, 0.0, 1.0}  # clipped to their sign
            assert ends >= 2  # a random Breakout player loses lives quickly
        env.close()
