"""Framework-side descriptions of observation and action spaces, built from gymnasium spaces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from coachrl.errors import IncompatibleSpaces

IMAGE_CHANNELS = ("auto", "first", "last")  # how an image's axes are read
MAX_CHANNELS = 16  # "auto": an image axis this short at one end and longer at the other is C


@dataclass(slots=True, frozen=True)
class ObservationSpace:
    """Shape and dtype of one observation: a flat vector, an image ([H, W, C], or [C, H, W]
    with ``channels_first``), or a Dict of those (``fields``), which travels as one numpy record
    per observation (a structured dtype with a field per key, ``shape`` ())."""

    shape: tuple[int, ...]
    dtype: Any  # a numpy dtype or its name; the record dtype of a Dict observation
    fields: tuple[tuple[str, ObservationSpace], ...] = ()  # Dict observations: key, space
    channels_first: bool = False  # images: [C, H, W]

    @property
    def is_dict(self) -> bool:
        return bool(self.fields)

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3 and not self.fields

    @property
    def size(self) -> int:
        if self.fields:
            return sum(space.size for _, space in self.fields)
        return int(np.prod(self.shape))


def channels_first(shape: tuple[int, ...], image_channels: str = "auto") -> bool:
    """Whether an image of ``shape`` is [C, H, W]: as asked, or (auto) when its first axis is
    short (at most 16) and its last is not."""
    if image_channels not in IMAGE_CHANNELS:
        raise IncompatibleSpaces(f"image_channels={image_channels!r}; expected one of "
                                 f"{', '.join(IMAGE_CHANNELS)}")
    if image_channels != "auto":
        return image_channels == "first"
    return shape[0] <= MAX_CHANNELS < shape[-1]


def with_image_channels(space: ObservationSpace, image_channels: str) -> ObservationSpace:
    """The space with every image's channel axis read as ``image_channels`` says."""
    if space.fields:
        fields = tuple((key, with_image_channels(sub, image_channels))
                       for key, sub in space.fields)
        return ObservationSpace(space.shape, space.dtype, fields)
    if not space.is_image:
        return space
    return ObservationSpace(space.shape, space.dtype,
                            channels_first=channels_first(space.shape, image_channels))


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


def dict_space(fields: Iterable[tuple[str, ObservationSpace]]) -> ObservationSpace:
    """A Dict observation of ``fields`` (key, space), carried as one record per observation
    (a structured dtype with a field per key)."""
    fields = tuple(fields)
    record = np.dtype([(key, np.dtype(sub.dtype), sub.shape) for key, sub in fields])
    return ObservationSpace(shape=(), dtype=record, fields=fields)


def observation_space_from_gym(space: gym.Space) -> ObservationSpace:
    """A Box (vector or image, its channel order detected) or a Dict of Boxes."""
    if isinstance(space, gym.spaces.Dict):
        fields = []
        for key, sub in space.spaces.items():
            if not isinstance(sub, gym.spaces.Box):
                raise IncompatibleSpaces(
                    f"observation key {key!r} is {sub}; a Dict observation's entries must be "
                    "gymnasium Boxes (vectors or images)")
            fields.append((str(key), observation_space_from_gym(sub)))
        return dict_space(fields)
    if not isinstance(space, gym.spaces.Box):
        raise IncompatibleSpaces(
            f"observation space {space} is not supported; expected a gymnasium Box "
            "(flat vector or image) or a Dict of Boxes"
        )
    shape = tuple(space.shape)
    return ObservationSpace(shape=shape, dtype=str(space.dtype),
                            channels_first=len(shape) == 3 and channels_first(shape))


def flat_features(observations: np.ndarray) -> np.ndarray:
    """Observations [N, ...] as float32 vectors [N, D]; records (Dict observations) with their
    fields flattened and concatenated in the record's order."""
    if observations.dtype.names:
        return np.concatenate([observations[key].reshape(len(observations), -1)
                               for key in observations.dtype.names], axis=1).astype(np.float32)
    return observations.reshape(len(observations), -1).astype(np.float32, copy=False)


def to_records(observations: dict[str, Any], dtype: np.dtype) -> np.ndarray:
    """A Dict observation of N envs (one array [N, ...] per key) as N records."""
    keys = dtype.names or ()
    first = np.asarray(observations[keys[0]])
    out = np.empty(len(first), dtype=dtype)
    for key in keys:
        out[key] = observations[key]
    return out


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
