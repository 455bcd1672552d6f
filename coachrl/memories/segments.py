"""A replay of whole rollout segments (ACER): each entry holds T steps of N envs, the
observations after them and the behaviour policy's probabilities, so that an off-policy update
can run Retrace along each env's time axis."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.params.check import positive


class SegmentReplay:
    """A ring of ``capacity`` segments, each a dict of arrays of fixed shapes (allocated at the
    first ``add``); ``sample`` returns one segment drawn uniformly, as copies."""

    def __init__(self, capacity: int) -> None:
        positive("capacity", capacity)
        self.capacity = capacity
        self.storage: dict[str, NDArray] = {}
        self.size = self.position = 0

    def __len__(self) -> int:
        return self.size

    def add(self, segment: dict[str, NDArray]) -> None:
        if not self.storage:
            self.storage = {k: np.zeros((self.capacity, *np.shape(v)), np.asarray(v).dtype)
                            for k, v in segment.items()}
        if set(segment) != set(self.storage):
            raise ValueError(f"a segment with columns {sorted(segment)}; this replay holds "
                             f"{sorted(self.storage)}")
        for key, value in segment.items():
            self.storage[key][self.position] = value
        self.position = (self.position + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator) -> dict[str, NDArray]:
        if not self.size:
            raise ValueError("sampling from an empty segment replay")
        index = int(rng.integers(0, self.size))
        return {key: values[index].copy() for key, values in self.storage.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"storage": {k: v[:self.size].copy() for k, v in self.storage.items()},
                "size": self.size, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.size, self.position = int(state["size"]), int(state["position"])
        held = state["storage"]
        self.storage = {k: np.zeros((self.capacity, *np.shape(v)[1:]), np.asarray(v).dtype)
                        for k, v in held.items()}
        for key, values in held.items():
            self.storage[key][:self.size] = values
