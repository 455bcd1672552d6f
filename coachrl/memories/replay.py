"""Uniform experience replay: a preallocated numpy ring buffer with vectorised add and sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.errors import CheckpointError
from coachrl.memories.columns import Column, check_supplied, check_unique


class ReplayBuffer:
    """Ring buffer of transitions (Lin 1992; Mnih et al. 2015) with the declared ``columns``,
    usually ``transition_columns(...)``: (s, a, r, s', terminated) and the agent's own.

    Transitions that ended by truncation are stored with terminated=False and the true final
    observation as s', so their targets bootstrap; terminated ones do not.
    """

    def __init__(self, *, capacity: int, columns: Sequence[Column]) -> None:
        check_unique(columns)
        self.capacity = capacity
        self.columns = tuple(columns)
        self.storage: dict[str, NDArray] = {c.name: self._allocate(c) for c in self.columns}
        self._count_key = self.columns[0].name
        self._names = frozenset(c.name for c in self.columns)
        self.position = 0  # next slot to write
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def _allocate(self, column: Column) -> NDArray:
        """The array that holds ``column`` (a subclass may store a column otherwise)."""
        return column.allocate(self.capacity)

    def add(self, transitions: dict[str, NDArray]) -> None:
        """Append k transitions given as arrays with a leading axis of k (k may be 0)."""
        self._write(transitions)

    def _write(self, transitions: dict[str, NDArray]) -> tuple[int, int]:
        """Store the transitions; returns (first slot written, count)."""
        if transitions.keys() != self._names:
            check_supplied(self.columns, transitions)
        count = len(transitions[self._count_key])
        start = self.position
        if count == 0:
            return start, 0
        end = self.position + count
        # a slice when the write does not wrap: far cheaper than fancy indexing for small k
        slots = (slice(self.position, end) if end <= self.capacity
                 else np.arange(self.position, end) % self.capacity)
        self._put(slots, transitions)
        self.position = int((self.position + count) % self.capacity)
        self.size = min(self.size + count, self.capacity)
        return start, count

    def _put(self, slots: slice | NDArray, transitions: dict[str, NDArray]) -> None:
        """Write the transitions' columns into ring ``slots``."""
        for key, array in self.storage.items():
            array[slots] = transitions[key]

    def _gather(self, indices: NDArray) -> dict[str, NDArray]:
        """The transitions in ring slots ``indices``, every declared column."""
        return {key: array[indices] for key, array in self.storage.items()}

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, NDArray]:
        """``batch_size`` transitions drawn uniformly with replacement."""
        if self.size == 0:
            raise RuntimeError("cannot sample from an empty replay buffer")
        return self._gather(rng.integers(0, self.size, size=batch_size))

    def state_dict(self) -> dict[str, Any]:
        used = slice(0, self.size)
        return {"position": self.position, "size": self.size, "capacity": self.capacity,
                "storage": {key: array[used].copy() for key, array in self.storage.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state["capacity"]) != self.capacity:
            raise CheckpointError(f"replay capacity in checkpoint is {state['capacity']}, "
                                  f"but this run's memory.capacity is {self.capacity}")
        self.size, self.position = int(state["size"]), int(state["position"])
        for key, array in self.storage.items():
            array[: self.size] = state["storage"][key]
