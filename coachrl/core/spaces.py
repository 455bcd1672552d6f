"""Framework-side descriptions of observation and action spaces, built from gymnasium spaces."""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from coachrl.errors import IncompatibleSpaces


@dataclass(slots=True, frozen=True)
class ObservationSpace:
    """Shape and dtype of one observation; image observations are uint8 [H, W, C] or [C, H, W]."""

    shape: tuple[int, ...]
    dtype: str

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass(slots=True, frozen=True)
class DiscreteActions:
    """``n`` actions numbered 0..n-1."""

    n: int


@dataclass(slots=True, frozen=True)
class BoxActions:
    """Continuous actions in [low, high] of shape (dim,)."""

    low: tuple[float, ...]
    high: tuple[float, ...]

    @property
    def dim(self) -> int:
        return len(self.low)


ActionSpace = DiscreteActions | BoxActions


@dataclass(slots=True, frozen=True)
class EnvSpaces:
    """The pair of spaces an agent is built for."""

    observation: ObservationSpace
    action: ActionSpace


def action_layout(spaces: EnvSpaces) -> tuple[tuple[int, ...], type]:
    """Shape and dtype of one action, for buffers."""
    if isinstance(spaces.action, DiscreteActions):
        return (), np.int64
    return (spaces.action.dim,), np.float32


def observation_space_from_gym(space: gym.Space) -> ObservationSpace:
    if not isinstance(space, gym.spaces.Box):
        raise IncompatibleSpaces(
            f"observation space {space} is not supported; expected a gymnasium Box "
            "(flat vector or image)"
        )
    return ObservationSpace(shape=tuple(space.shape), dtype=str(space.dtype))


def action_space_from_gym(space: gym.Space) -> ActionSpace:
    if isinstance(space, gym.spaces.Discrete):
        return DiscreteActions(n=int(space.n))
    if isinstance(space, gym.spaces.Box) and len(space.shape) == 1:
        return BoxActions(
            low=tuple(float(x) for x in space.low), high=tuple(float(x) for x in space.high)
        )
    raise IncompatibleSpaces(
        f"action space {space} is not supported; expected Discrete or a 1-D Box"
    )


def spaces_from_gym(observation: gym.Space, action: gym.Space) -> EnvSpaces:
    return EnvSpaces(observation_space_from_gym(observation), action_space_from_gym(action))
