"""Deterministic toy environments for tests and for checking the framework's bookkeeping."""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np


class FixedLengthEnv(gym.Env):
    """Episodes of exactly ``length`` steps with reward 1 per step; observation = [step / length].

    The episode ends by termination, or by truncation when ``truncate`` is set, so tests can
    check bootstrapping on one and not the other.
    """

    metadata = {"render_modes": ["rgb_array"]}  # noqa: RUF012 (as gymnasium declares it)

    def __init__(self, length: int = 5, truncate: bool = False, n_actions: int = 2,
                 render_mode: str | None = None) -> None:
        self.length, self.truncate = length, truncate
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(n_actions)
        self.render_mode = render_mode
        self.t = 0

    def _obs(self) -> np.ndarray:
        return np.array([self.t / self.length], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action: Any):
        self.t += 1
        end = self.t >= self.length
        return self._obs(), 1.0, end and not self.truncate, end and self.truncate, {}

    def render(self) -> np.ndarray:
        frame = np.zeros((16, 16, 3), dtype=np.uint8)
        frame[:, : int(16 * self.t / self.length)] = 255
        return frame


class NaNRewardEnv(FixedLengthEnv):
    """``FixedLengthEnv`` whose rewards turn NaN after ``nan_after`` steps in total.

    Stands in for a simulator that blows up mid-run, to exercise the numerics guard.
    """

    def __init__(self, length: int = 5, nan_after: int = 100, **kwargs: Any) -> None:
        super().__init__(length=length, **kwargs)
        self.nan_after = nan_after
        self.total_steps = 0

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = super().step(action)
        self.total_steps += 1
        if self.total_steps > self.nan_after:
            reward = float("nan")
        return observation, reward, terminated, truncated, info


class TargetReachingEnv(gym.Env):
    """One-dimensional continuous control: observe a target in [-1, 1], act, get -(a - target)^2.

    Episodes last ``length`` steps with a new target each step; the optimal return is 0. A
    quick learning check for continuous-action agents.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 (as gymnasium declares it)

    def __init__(self, length: int = 8) -> None:
        self.length = length
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.action_space = gym.spaces.Box(-2.0, 2.0, shape=(1,), dtype=np.float32)
        self.t = 0
        self.target = np.zeros(1, dtype=np.float32)

    def _new_target(self) -> np.ndarray:
        self.target = self.np_random.uniform(-1.0, 1.0, size=1).astype(np.float32)
        return self.target.copy()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.t = 0
        return self._new_target(), {}

    def step(self, action: Any):
        reward = -float((np.asarray(action, dtype=np.float32)[0] - self.target[0]) ** 2)
        self.t += 1
        return self._new_target(), reward, False, self.t >= self.length, {}


class CrashingEnv(FixedLengthEnv):
    """``FixedLengthEnv`` that raises after ``crash_after`` steps (``crash_on="step"``) or resets
    (``crash_on="reset"``), like a simulator that crashes.

    With ``once_marker`` set to a file path, only the first env to get there raises (it creates
    the file), so a replaced rollout worker runs on.
    """

    def __init__(self, length: int = 5, crash_after: int = 100, once_marker: str = "",
                 crash_on: str = "step", **kwargs: Any) -> None:
        super().__init__(length=length, **kwargs)
        if crash_on not in ("step", "reset"):
            raise ValueError(f"crash_on={crash_on!r} must be 'step' or 'reset'")
        self.crash_after, self.once_marker, self.crash_on = crash_after, once_marker, crash_on
        self.total_steps = self.total_resets = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self.total_resets += 1
        if (self.crash_on == "reset" and self.total_resets > self.crash_after
                and self._should_crash()):
            raise RuntimeError(f"simulated simulator crash in reset after {self.crash_after} "
                               f"resets")
        return super().reset(seed=seed, options=options)

    def step(self, action: Any):
        self.total_steps += 1
        if (self.crash_on == "step" and self.total_steps > self.crash_after
                and self._should_crash()):
            raise RuntimeError(f"simulated simulator crash after {self.crash_after} steps")
        return super().step(action)

    def _should_crash(self) -> bool:
        if not self.once_marker:
            return True
        try:
            with open(self.once_marker, "x"):
                return True
        except FileExistsError:
            return False


class HangingEnv(CrashingEnv):
    """``CrashingEnv`` that hangs (sleeps ``hang_for`` seconds) instead of raising, like a
    simulator stuck in a loop; with ``once_marker``, only the first env to get there hangs."""

    def __init__(self, hang_for: float = 3600.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hang_for = hang_for

    def step(self, action: Any):
        self.total_steps += 1
        if self.total_steps > self.crash_after and self._should_crash():
            time.sleep(self.hang_for)
        return FixedLengthEnv.step(self, action)


class LatencyEnv(gym.Wrapper):
    """A registered env (CartPole-v1 by default) that sleeps ``latency`` seconds in every step.

    Stands in for a latency-bound simulator or a real robot: the CPU is idle while it waits.
    """

    def __init__(self, env_id: str = "CartPole-v1", latency: float = 0.002,
                 render_mode: str | None = None) -> None:
        super().__init__(gym.make(env_id, render_mode=render_mode))
        self.latency = latency

    def step(self, action: Any):
        time.sleep(self.latency)
        return self.env.step(action)


class DictCartPole(gym.ObservationWrapper):
    """CartPole-v1 whose observation is a Dict: ``position`` (cart x, pole angle) and
    ``velocity`` (their rates), so a Dict-observation agent can be checked against CartPole's
    known learning curve."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(gym.make("CartPole-v1", **kwargs))
        box = self.env.observation_space
        assert isinstance(box, gym.spaces.Box)
        self.observation_space = gym.spaces.Dict({
            "position": gym.spaces.Box(box.low[[0, 2]], box.high[[0, 2]], dtype=np.float32),
            "velocity": gym.spaces.Box(box.low[[1, 3]], box.high[[1, 3]], dtype=np.float32)})

    def observation(self, observation: Any) -> dict[str, np.ndarray]:
        return {"position": observation[[0, 2]], "velocity": observation[[1, 3]]}
