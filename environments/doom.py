"""ViZDoom's scenarios (``pip install 'coachrl[vizdoom]'``, its ``Vizdoom...-v1`` Gymnasium ids)
preprocessed as Coach did: each action repeated ``frame_skip`` tics by the game, the screen gray,
small and stacked, uint8 from the game to the replay, beside the game variables (health, ammo)
as a Dict observation; and the episode's seed and actions kept, so that exact resume rebuilds
the game's state, which lives in the engine, by replaying them."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from coachrl.errors import ConfigError
from coachrl.params.base import DoomParams

SCREEN, GAME_VARIABLES = "screen", "gamevariables"  # the keys of ViZDoom's observations
# the game renders its smallest 4:3 mode (as Coach had it render); the pipeline halves it
RENDER_RESOLUTION = "RES_160X120"


def game_settings(params: DoomParams) -> dict[str, Any]:
    """The ``gymnasium.make`` arguments the pipeline needs of the game itself: its own frame
    skip (``make_action`` repeats the action and sums the rewards without rendering the
    skipped tics) and a small render."""
    return {"frame_skip": params.frame_skip, "screen_resolution": RENDER_RESOLUTION}


def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise ConfigError("the Doom preprocessing needs OpenCV: pip install "
                          "'coachrl[vizdoom]'") from None
    return cv2


def grayscale(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """An [H, W, 3] RGB frame as [H, W] luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B,
    rounded), uint8; a [H, W, 1] gray frame (ViZDoom's GRAY8) loses its channel axis only."""
    if frame.shape[-1] == 1:
        return frame[..., 0]
    return _cv2().cvtColor(frame, _cv2().COLOR_RGB2GRAY)


def resize(frame: NDArray[np.uint8], height: int, width: int) -> NDArray[np.uint8]:
    """An [H, W] frame resized to [height, width] by pixel-area averaging (a halving is the
    rounded mean of each 2x2 block), uint8."""
    cv2 = _cv2()
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


class DoomObservation(gym.Wrapper):
    """The screen gray, resized and stacked (the last ``frame_stack`` frames, channels first,
    oldest first; a reset fills the stack with its frame), the game variables scaled, as a Dict
    of those two; ViZDoom's other buffers are dropped.

    The stack is one numpy array rather than Gymnasium's ``FrameStackObservation``, whose
    deque a plain-data snapshot cannot hold (exact resume) and which would stack the game
    variables too; Coach stacked the screen only."""

    def __init__(self, env: gym.Env, params: DoomParams) -> None:
        super().__init__(env)
        space = env.observation_space
        spaces = space.spaces if isinstance(space, gym.spaces.Dict) else {}
        if SCREEN not in spaces:
            raise ConfigError(f"env.preprocessing='doom' needs a ViZDoom observation, a Dict "
                              f"with a {SCREEN!r} key; this env's is {space}")
        self.height, self.width = params.screen_height, params.screen_width
        self.scale = np.float32(params.game_variable_scale)
        self.stack = np.zeros((params.frame_stack, self.height, self.width), dtype=np.uint8)
        observation: dict[str, gym.Space[Any]] = {
            SCREEN: gym.spaces.Box(0, 255, self.stack.shape, np.uint8)}
        self.has_variables = GAME_VARIABLES in spaces
        if self.has_variables:
            observation[GAME_VARIABLES] = gym.spaces.Box(
                -np.inf, np.inf, spaces[GAME_VARIABLES].shape, np.float32)
        self.observation_space = gym.spaces.Dict(observation)

    def _frame(self, observation: dict[str, NDArray]) -> NDArray[np.uint8]:
        return resize(grayscale(observation[SCREEN]), self.height, self.width)

    def _observation(self, observation: dict[str, NDArray]) -> dict[str, NDArray]:
        out: dict[str, NDArray] = {SCREEN: self.stack.copy()}
        if self.has_variables:
            out[GAME_VARIABLES] = observation[GAME_VARIABLES].astype(np.float32) * self.scale
        return out

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        observation, info = self.env.reset(seed=seed, options=options)
        self.stack[:] = self._frame(observation)
        return self._observation(observation), info

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.stack[:-1] = self.stack[1:]
        self.stack[-1] = self._frame(observation)
        return self._observation(observation), reward, terminated, truncated, info


class ReplayableEpisodes(gym.Wrapper):
    """Each episode starts from a game seed drawn from this wrapper's generator, and its
    actions are recorded, so that ``replay`` rebuilds the game's state after a snapshot's
    plain data (the seed, the actions so far) is restored in a new process: ViZDoom is
    deterministic given the seed and the actions. (environments/snapshot.py calls ``replay``.)"""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.seeds: np.random.Generator | None = None  # draws each episode's game seed
        self.episode_seed = 0
        self.started = False  # an episode has begun (there is something to replay)
        self.actions = np.zeros(64, dtype=np.int64)  # the episode's actions, [length] of them
        self.length = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None or self.seeds is None:
            self.seeds = np.random.default_rng(seed)
        self.episode_seed = int(self.seeds.integers(2**31))
        self.started, self.length = True, 0
        return self.env.reset(seed=self.episode_seed, options=options)

    def step(self, action: Any):
        if self.length == len(self.actions):
            self.actions = np.concatenate([self.actions, np.zeros_like(self.actions)])
        self.actions[self.length] = action
        self.length += 1
        return self.env.step(action)

    def replay(self) -> None:
        """The episode's reset and actions again, their results discarded: the game is where
        it was when the snapshot was taken."""
        if not self.started:
            return
        self.env.reset(seed=self.episode_seed)
        for action in self.actions[:self.length].tolist():
            self.env.step(action)


def doom_pipeline(env: gym.Env, params: DoomParams) -> gym.Env:
    """The Doom pipeline around a ViZDoom env made with ``game_settings(params)``; the same
    for training and evaluation."""
    return DoomObservation(ReplayableEpisodes(env), params)
