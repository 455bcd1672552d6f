"""DeepMind's Atari preprocessing (Mnih et al. 2015; Machado et al. 2018) from Gymnasium's
wrappers where they exist: no-op starts, frame skip with a max-pool over the last two frames,
grayscale 84x84 (``AtariPreprocessing``), a stack of the last frames, channels first, uint8
(``FrameStackObservation``). For training only: a lost life ends the learning episode without
resetting the game (``EpisodicLife``, written here: Gymnasium's own option resets the whole
game at every lost life), and rewards become their sign (``TransformReward``)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from coachrl.params.base import AtariParams


class EpisodicLife(gym.Wrapper):
    """A lost life ends the episode (terminated) for learning; the next ``reset`` continues the
    same game with a no-op step, and only a real game over resets the game. The lives come
    from ``info["lives"]``, as ALE reports them."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.lives = 0
        self.game_over = True

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.game_over = terminated or truncated
        lives = int(info.get("lives", 0))
        if 0 < lives < self.lives:
            terminated = True
        self.lives = lives
        return observation, reward, terminated, truncated, info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if self.game_over or seed is not None:
            observation, info = self.env.reset(seed=seed, options=options)
        else:  # a life was lost: go on from where the game is
            observation, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:
                observation, info = self.env.reset(seed=seed, options=options)
        self.game_over = False
        self.lives = int(info.get("lives", 0))
        return observation, info


def _sign(reward: Any) -> float:
    return float(np.sign(float(reward)))


def atari_pipeline(env: gym.Env, params: AtariParams, *, training: bool) -> gym.Env:
    """The DeepMind pipeline around an ALE env made with ``frameskip=1``."""
    env = gym.wrappers.AtariPreprocessing(
        env, noop_max=params.noop_max, frame_skip=params.frame_skip,
        screen_size=params.screen_size, terminal_on_life_loss=False,
        grayscale_obs=params.grayscale, scale_obs=False)
    if training and params.terminal_on_life_loss:
        env = EpisodicLife(env)
    if training and params.clip_rewards:
        env = gym.wrappers.TransformReward(env, _sign)
    return gym.wrappers.FrameStackObservation(env, params.frame_stack)
