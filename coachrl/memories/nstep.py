"""n-step transitions (Sutton 1988; Mnih et al. 2016; Hessel et al. 2018) built from env steps.

    builder = NStepBuilder(n=3, discount=0.99, n_envs=8, columns=carried)
    transitions = builder.add(step, rewards=..., next_observations=..., terminated=...,
                              truncated=..., valid=...)      # ready n-step transitions, maybe none
    memory.add(transitions)

Each env keeps a window of its last steps. When a window holds n steps, its oldest step leaves
as the transition (s_t, a_t, R, s_{t+n}, terminated=0, discount=gamma^n) with R = sum_k gamma^k
r_{t+k}. When an episode ends, every step still in its window leaves with the rewards up to the
end: terminated episodes do not bootstrap (terminated=1); truncated ones bootstrap from the true
final observation, m steps on, with discount gamma^m. Reset steps of NEXT_STEP autoreset
(``valid`` False) are no steps. The windows are part of the agent's checkpoint, so a resumed run
builds the same transitions as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.errors import CheckpointError
from coachrl.memories.columns import Column


class NStepBuilder:
    """Per-env windows of the last steps; ``columns`` are the per-step fields a transition
    carries from its first step (observations, actions, the agent's extras)."""

    def __init__(self, *, n: int, discount: float, n_envs: int,
                 columns: Sequence[Column]) -> None:
        if n < 1:
            raise ValueError(f"n-step needs n >= 1, got {n}")
        self.n, self.discount, self.n_envs = n, discount, n_envs
        self.columns = tuple(columns)
        self.window = {c.name: np.zeros((n_envs, n, *c.shape), c.dtype) for c in self.columns}
        self.rewards = np.zeros((n_envs, n), np.float64)
        self.lengths = np.zeros(n_envs, np.int64)
        self.powers = discount ** np.arange(n + 1, dtype=np.float64)  # gamma^0 .. gamma^n

    def pending(self) -> int:
        """Steps waiting in the windows."""
        return int(self.lengths.sum())

    def add(self, step: dict[str, NDArray], *, rewards: NDArray, next_observations: NDArray,
            terminated: NDArray, truncated: NDArray, valid: NDArray) -> dict[str, NDArray]:
        """One step of every env ([N, ...] arrays); returns the transitions it completes."""
        steps = np.flatnonzero(valid)
        slots = self.lengths[steps]
        for name, window in self.window.items():
            window[steps, slots] = step[name][steps]
        self.rewards[steps, slots] = rewards[steps]
        self.lengths[steps] += 1
        ended = np.asarray(valid, bool) & (np.asarray(terminated, bool)
                                            | np.asarray(truncated, bool))
        full = np.flatnonzero(~ended & (self.lengths == self.n))
        parts = []
        if len(full):
            parts.append(self._oldest(full, next_observations))
        for env in np.flatnonzero(ended):
            parts.append(self._flush(int(env), next_observations[env], bool(terminated[env])))
        if not parts:
            return self._empty(next_observations)
        if len(parts) == 1:
            return parts[0]
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    def _oldest(self, envs: NDArray, next_observations: NDArray) -> dict[str, NDArray]:
        """The oldest step of each full window, with its n rewards; the windows shift by one."""
        out = {name: window[envs, 0].copy() for name, window in self.window.items()}
        out[B.REWARDS] = (self.rewards[envs] @ self.powers[:self.n]).astype(np.float32)
        out[B.NEXT_OBSERVATIONS] = next_observations[envs]
        out[B.TERMINATED] = np.zeros(len(envs), np.float32)
        out[B.DISCOUNTS] = np.full(len(envs), self.powers[self.n], np.float32)
        for window in (*self.window.values(), self.rewards):
            window[envs, :-1] = window[envs, 1:]
        self.lengths[envs] -= 1
        return out

    def _flush(self, env: int, final_observation: NDArray,
               terminated: bool) -> dict[str, NDArray]:
        """Every step in an ended episode's window, each with the rewards up to the end."""
        length = int(self.lengths[env])
        rewards = self.rewards[env, :length]
        returns = np.empty(length, np.float64)
        running = 0.0
        for index in range(length - 1, -1, -1):
            running = rewards[index] + self.discount * running
            returns[index] = running
        out = {name: window[env, :length].copy() for name, window in self.window.items()}
        out[B.REWARDS] = returns.astype(np.float32)
        out[B.NEXT_OBSERVATIONS] = np.repeat(final_observation[None], length, axis=0)
        out[B.TERMINATED] = np.full(length, float(terminated), np.float32)
        out[B.DISCOUNTS] = self.powers[length - np.arange(length)].astype(np.float32)
        self.lengths[env] = 0
        return out

    def _empty(self, next_observations: NDArray) -> dict[str, NDArray]:
        out = {name: window[:0, 0] for name, window in self.window.items()}
        out[B.REWARDS] = np.zeros(0, np.float32)
        out[B.NEXT_OBSERVATIONS] = next_observations[:0]
        out[B.TERMINATED] = np.zeros(0, np.float32)
        out[B.DISCOUNTS] = np.zeros(0, np.float32)
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"n": self.n, "lengths": self.lengths.copy(), "rewards": self.rewards.copy(),
                "window": {name: window.copy() for name, window in self.window.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state["n"]) != self.n or len(state["lengths"]) != self.n_envs:
            raise CheckpointError(
                f"the checkpoint's n-step windows are for n={int(state['n'])} over "
                f"{len(state['lengths'])} envs; this run has n={self.n} over {self.n_envs}")
        self.lengths[:] = state["lengths"]
        self.rewards[:] = state["rewards"]
        for name, window in self.window.items():
            window[:] = state["window"][name]
