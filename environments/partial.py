"""Partially observed versions of registered envs: an observation wrapper that hides some of the
vector's components (CartPole without its velocities needs a policy with memory)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

CARTPOLE_VELOCITIES = (1, 3)  # cart velocity, pole angular velocity


class HiddenObservations(gym.ObservationWrapper):
    """A registered env whose flat Box observation loses the components at ``hidden``.

    ``HiddenObservations(env_id="CartPole-v1", hidden=(1, 3))`` is CartPole with only the cart
    position and the pole angle: a feed-forward policy cannot tell which way the pole moves,
    a recurrent one can infer it from consecutive observations.
    """

    def __init__(self, env_id: str = "CartPole-v1",
                 hidden: tuple[int, ...] | list[int] = CARTPOLE_VELOCITIES,
                 **kwargs: Any) -> None:
        super().__init__(gym.make(env_id, **kwargs))
        box = self.env.observation_space
        if not isinstance(box, gym.spaces.Box) or len(box.shape) != 1:
            raise ValueError(f"HiddenObservations needs a flat Box observation; {env_id} has "
                             f"{box}")
        hidden_set = {int(i) for i in hidden}
        if not hidden_set <= set(range(box.shape[0])):
            raise ValueError(f"hidden={sorted(hidden_set)} are not all indices of {env_id}'s "
                             f"{box.shape[0]} observation components")
        self.kept = np.array([i for i in range(box.shape[0]) if i not in hidden_set])
        self.observation_space = gym.spaces.Box(box.low[self.kept], box.high[self.kept],
                                                dtype=box.dtype)  # type: ignore[arg-type]

    def observation(self, observation: Any) -> NDArray:
        return np.asarray(observation)[self.kept]
