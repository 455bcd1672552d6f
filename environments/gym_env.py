"""Gymnasium adapter: a registered id or ``module:Class``, vectorised, explicit NEXT_STEP reset."""

from __future__ import annotations

import difflib
from typing import Any, cast

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from coachrl.core.batch import EpisodeStats, StepResult
from coachrl.core.spaces import BoxActions, spaces_from_gym
from coachrl.environments.snapshot import restore, snapshot
from coachrl.errors import ConfigError
from coachrl.params.base import EnvironmentParams

NO_EPISODES = EpisodeStats.empty()  # what a step on which no episode ended reports


def make_env(params: EnvironmentParams, *, render_mode: str | None = None) -> gym.Env:
    """One environment from a registered id or ``module:Class``; a clear error for unknown ids."""
    kwargs: dict[str, Any] = dict(params.env_kwargs)
    if render_mode is not None:
        kwargs["render_mode"] = render_mode
    if params.max_episode_steps:
        kwargs["max_episode_steps"] = params.max_episode_steps
    env_id = params.env_id
    if ":" in env_id and env_id.split(":", 1)[0] not in gym.registry:
        module_name, _, class_name = env_id.partition(":")
        try:
            module = __import__(module_name, fromlist=[class_name])
            cls = getattr(module, class_name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"env.env_id={env_id!r} could not be imported: {exc}") from None
        limit = kwargs.pop("max_episode_steps", None)
        env = cls(**kwargs)
        return gym.wrappers.TimeLimit(env, limit) if limit else env
    if env_id not in gym.registry:
        close = difflib.get_close_matches(env_id, list(gym.registry), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(f"env.env_id={env_id!r} is not a registered Gymnasium environment{hint} "
                          "(an extra such as coachrl[box2d] may be missing)")
    return gym.make(env_id, **kwargs)


class GymVectorEnv:
    """N Gymnasium envs with NEXT_STEP autoreset made explicit and episode statistics kept.

    After an episode ends in env i, Gymnasium's next ``step`` ignores the action for i and
    returns a reset observation; that step is reported with ``valid[i] = False`` and never
    counted as an env step or stored as a transition.
    """

    def __init__(self, params: EnvironmentParams, *, seed: int, n_envs: int | None = None,
                 render_mode: str | None = None) -> None:
        self.n_envs = n_envs or params.n_envs
        fns = [lambda: make_env(params, render_mode=render_mode)] * self.n_envs
        make_first = fns[0]
        first = make_first()  # fail fast with a clear error, in this process
        fns[0] = lambda: first
        vector_cls = (gym.vector.AsyncVectorEnv if params.vectorization == "async"
                      else gym.vector.SyncVectorEnv)
        self.env = vector_cls(fns, autoreset_mode=gym.vector.AutoresetMode.NEXT_STEP)
        self.spaces = spaces_from_gym(self.env.single_observation_space,
                                      self.env.single_action_space)
        self.seed = seed
        self._seeded = False
        action = self.spaces.action
        self._bounds = ((np.asarray(action.low, np.float32), np.asarray(action.high, np.float32))
                        if isinstance(action, BoxActions) else None)
        self._resetting = np.zeros(self.n_envs, dtype=bool)
        self._all_valid = np.ones(self.n_envs, dtype=bool)
        self._all_valid.flags.writeable = False  # shared by every step's result
        self._returns = np.zeros(self.n_envs, dtype=np.float64)
        self._lengths = np.zeros(self.n_envs, dtype=np.int64)

    def reset(self) -> NDArray:
        """Start new episodes in every env; seeded the first time only, so that later resets
        (each evaluation's) continue the envs' random streams and meet new initial states."""
        observations, _ = self.env.reset(seed=None if self._seeded else self.seed)
        self._seeded = True
        self._resetting[:] = False
        self._returns[:] = 0.0
        self._lengths[:] = 0
        return observations

    def step(self, actions: NDArray) -> tuple[StepResult, EpisodeStats]:
        if self._bounds is not None:
            actions = np.clip(actions, *self._bounds)
        observations, rewards, terminated, truncated, _ = self.env.step(actions)
        rewards = rewards.astype(np.float32)
        dones = terminated | truncated
        if self._resetting.any():  # some envs performed their reset step: mask them out
            valid = ~self._resetting
            self._returns += np.where(valid, rewards, 0.0)
            self._lengths += valid
            dones &= valid
            terminated, truncated = terminated & valid, truncated & valid
        else:  # the common case, with fewer array operations on this per-step path
            valid = self._all_valid
            self._returns += rewards
            self._lengths += 1
        self._resetting = dones
        finished = NO_EPISODES
        if dones.any():
            finished = EpisodeStats(self._returns[dones].copy(), self._lengths[dones].copy())
            self._returns[dones] = 0.0
            self._lengths[dones] = 0
        return StepResult(observations, rewards, terminated, truncated, valid), finished

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state of every sub-env and of the episode bookkeeping (exact resume)."""
        envs = getattr(self.env, "envs", None)
        if envs is None:  # subprocess envs: resume starts fresh episodes
            return {}
        return {"vector": snapshot(self.env), "envs": [snapshot(env) for env in envs],
                "resetting": self._resetting.copy(), "returns": self._returns.copy(),
                "lengths": self._lengths.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> bool:
        """Restore ``state_dict``; False when there was nothing to restore (reset instead)."""
        envs = getattr(self.env, "envs", None)
        if not state or envs is None or len(state["envs"]) != len(envs):
            return False  # nothing to restore, or a snapshot of another number of envs
        restore(self.env, state["vector"])
        for env, env_state in zip(envs, state["envs"], strict=True):
            restore(env, env_state)
        self._resetting = np.asarray(state["resetting"], dtype=bool).copy()
        self._returns = np.asarray(state["returns"], dtype=np.float64).copy()
        self._lengths = np.asarray(state["lengths"], dtype=np.int64).copy()
        self._seeded = True
        return True

    def render_frames(self) -> list[NDArray]:
        frames = cast(tuple[NDArray, ...] | None, self.env.render())  # rgb_array: one per env
        return list(frames) if frames is not None else []

    def close(self) -> None:
        self.env.close()
