"""Coach's toy problems as Gymnasium envs: BitFlip (a goal-conditioned task with a sparse
reward, Andrychowicz et al. 2017) and ExplorationChain (a chain whose far end alone rewards,
Osband et al. 2016), registered as ``coachrl/BitFlip-v0`` and ``coachrl/ExplorationChain-v0``.

BitFlip's observations are a Dict in the goal-env convention (``observation``,
``achieved_goal``, ``desired_goal``) and it offers ``compute_reward``, as Gymnasium-Robotics'
goal envs do, so hindsight replay can relabel its episodes.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray


class BitFlip(gym.Env):
    """n bits start random; each action flips one; reward -1 per step until the bits equal the
    goal (also random), which ends the episode with reward 0; at most n steps."""

    def __init__(self, n_bits: int = 15, max_steps: int | None = None) -> None:
        self.n_bits = n_bits
        self.max_steps = max_steps or n_bits
        bits = gym.spaces.Box(0.0, 1.0, (n_bits,), np.float32)  # as goal envs' Boxes
        self.observation_space = gym.spaces.Dict(
            {"observation": bits, "achieved_goal": bits, "desired_goal": bits})
        self.action_space = gym.spaces.Discrete(n_bits)
        self.state = np.zeros(n_bits, np.int8)
        self.goal = np.zeros(n_bits, np.int8)
        self.t = 0

    def _observation(self) -> dict[str, NDArray]:
        state, goal = self.state.astype(np.float32), self.goal.astype(np.float32)
        return {"observation": state, "achieved_goal": state.copy(), "desired_goal": goal}

    def compute_reward(self, achieved_goal: NDArray, desired_goal: NDArray,
                       info: Any = None) -> NDArray:
        """0 where the goal is reached, -1 elsewhere (batched over leading axes)."""
        del info
        return -(np.asarray(achieved_goal) != np.asarray(desired_goal)).any(-1).astype(
            np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.state = self.np_random.integers(0, 2, self.n_bits).astype(np.int8)
        self.goal = self.np_random.integers(0, 2, self.n_bits).astype(np.int8)
        while (self.goal == self.state).all():
            self.goal = self.np_random.integers(0, 2, self.n_bits).astype(np.int8)
        self.t = 0
        return self._observation(), {"is_success": False}

    def step(self, action: Any):
        self.state[int(action)] ^= 1
        self.t += 1
        reward = float(self.compute_reward(self.state, self.goal))
        success = reward == 0.0
        return (self._observation(), reward, success, self.t >= self.max_steps and not success,
                {"is_success": success})


class ExplorationChain(gym.Env):
    """States 0..n-1, starting at 1; action 1 moves right, 0 left. Reaching n-1 pays 1 and ends
    the episode; the left end pays 0.001; an episode lasts at most n + 9 steps. Observations
    are one-hot. Dithering (epsilon-greedy) needs about 2^n episodes to find the far reward."""

    def __init__(self, n: int = 10, left_reward: float = 1e-3) -> None:
        self.n, self.left_reward = n, left_reward
        self.observation_space = gym.spaces.Box(0.0, 1.0, (n,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.position = 1
        self.t = 0

    def _observation(self) -> NDArray:
        one_hot = np.zeros(self.n, np.float32)
        one_hot[self.position] = 1.0
        return one_hot

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.position, self.t = 1, 0
        return self._observation(), {}

    def step(self, action: Any):
        self.position = min(max(self.position + (1 if int(action) == 1 else -1), 0), self.n - 1)
        self.t += 1
        reward = 1.0 if self.position == self.n - 1 else (
            self.left_reward if self.position == 0 else 0.0)
        terminated = self.position == self.n - 1
        return self._observation(), reward, terminated, self.t >= self.n + 9 and not terminated, {}


def register() -> None:
    """Register the toy problems with Gymnasium (idempotent)."""
    for name, entry in (("coachrl/BitFlip-v0", "coachrl.environments.goals:BitFlip"),
                        ("coachrl/ExplorationChain-v0",
                         "coachrl.environments.goals:ExplorationChain")):
        if name not in gym.registry:
            gym.register(id=name, entry_point=entry)
