"""Episodic memory: whole episodes, sampled as transitions or as episodes (Coach's
EpisodicExperienceReplay), with a relabelling hook for hindsight replay and datasets.

    memory = EpisodicMemory(capacity=100_000, columns=columns, n_envs=8,
                            relabel=her_future)               # optional
    memory.add_step(transitions, valid=result.valid, dones=result.dones)   # [N, ...] per env
    batch = memory.sample(64, rng)                            # transitions, uniformly
    episodes = memory.sample_episodes(4, rng)                 # whole episodes

Steps wait in a per-env open episode until it ends; then the episode (and whatever the
``relabel`` hook makes of it, e.g. copies with substituted goals) is stored contiguously in a
preallocated ring of transitions. When the ring is full the oldest whole episodes make room,
so the memory never holds part of an episode.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.errors import CheckpointError, ConfigError
from coachrl.memories.columns import Column, check_supplied, check_unique


@dataclass(slots=True)
class Episode:
    """One finished episode: each column [T, ...]."""

    data: dict[str, NDArray]

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))


# Called once per finished episode: the episodes to store in its place (itself, and relabelled
# copies for hindsight replay; an empty list drops it).
Relabel = Callable[[Episode, np.random.Generator], list[Episode]]


class EpisodicMemory:
    """A ring of transitions holding whole episodes only."""

    def __init__(self, *, capacity: int, columns: Sequence[Column], n_envs: int = 1,
                 relabel: Relabel | None = None, rng: np.random.Generator | None = None) -> None:
        check_unique(columns)
        self.capacity, self.columns, self.n_envs = capacity, tuple(columns), n_envs
        self.storage = {c.name: c.allocate(capacity) for c in self.columns}
        self.relabel = relabel
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.stored: deque[tuple[int, int]] = deque()  # (first slot, length), oldest first
        self.position = 0  # where the next episode starts
        self.open: list[list[dict[str, NDArray]]] = [[] for _ in range(n_envs)]
        self._index: tuple[NDArray, NDArray, NDArray] | None = None  # starts, lengths, ends

    def __len__(self) -> int:
        """Transitions in stored (finished) episodes."""
        return sum(length for _, length in self.stored)

    @property
    def episode_count(self) -> int:
        return len(self.stored)

    def add_step(self, transitions: dict[str, NDArray], *, valid: NDArray,
                 dones: NDArray) -> None:
        """One step of every env ([N, ...] arrays, one row per env); ended episodes are stored."""
        check_supplied(self.columns, transitions)
        for env in np.flatnonzero(valid):
            self.open[env].append({name: np.array(value[env])
                                   for name, value in transitions.items()})
            if dones[env]:
                rows = self.open[env]
                self.open[env] = []
                self.add_episode(Episode({name: np.stack([row[name] for row in rows])
                                          for name in transitions}))

    def add_episode(self, episode: Episode) -> None:
        """Store a finished episode (after the relabelling hook)."""
        check_supplied(self.columns, episode.data)
        for stored in (self.relabel(episode, self.rng) if self.relabel else [episode]):
            self._write(stored)

    def _write(self, episode: Episode) -> None:
        length = len(episode)
        if length > self.capacity:
            raise ConfigError(f"an episode of {length} steps does not fit a memory of "
                              f"{self.capacity} transitions; raise memory.capacity")
        start = self.position
        if start + length > self.capacity:  # wrap: the previous lap's tail holds the oldest
            while self.stored and self.stored[0][0] >= start:
                self.stored.popleft()
            start = 0
        while self.stored and self._overlaps(self.stored[0], start, length):
            self.stored.popleft()  # in write order, the oldest are the ones in the way
        for name, array in self.storage.items():
            array[start:start + length] = episode.data[name]
        self.stored.append((start, length))
        self.position = start + length
        self._index = None

    @staticmethod
    def _overlaps(stored: tuple[int, int], start: int, length: int) -> bool:
        first, size = stored
        return first < start + length and start < first + size

    def _episode_index(self) -> tuple[NDArray, NDArray, NDArray]:
        if self._index is None:
            starts = np.array([s for s, _ in self.stored], np.int64)
            lengths = np.array([n for _, n in self.stored], np.int64)
            self._index = starts, lengths, np.cumsum(lengths)
        return self._index

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, NDArray]:
        """``batch_size`` transitions drawn uniformly (with replacement) from stored episodes."""
        starts, lengths, ends = self._episode_index()
        if not len(starts):
            raise RuntimeError("cannot sample from an episodic memory with no finished episode")
        draws = rng.integers(0, ends[-1], size=batch_size)
        episodes = np.searchsorted(ends, draws, side="right")
        slots = starts[episodes] + draws - (ends[episodes] - lengths[episodes])
        return {name: array[slots] for name, array in self.storage.items()}

    def sample_episodes(self, count: int, rng: np.random.Generator) -> list[Episode]:
        """``count`` stored episodes drawn uniformly with replacement."""
        if not self.stored:
            raise RuntimeError("cannot sample from an episodic memory with no finished episode")
        picks = rng.integers(0, len(self.stored), size=count)
        return [self._episode(self.stored[int(i)]) for i in picks]

    def episodes(self) -> Iterator[Episode]:
        """Every stored episode, oldest first."""
        for stored in list(self.stored):
            yield self._episode(stored)

    def _episode(self, stored: tuple[int, int]) -> Episode:
        start, length = stored
        return Episode({name: array[start:start + length].copy()
                        for name, array in self.storage.items()})

    def state_dict(self) -> dict[str, Any]:
        episodes = [self._episode(s) for s in self.stored]
        return {"capacity": self.capacity,
                "lengths": np.array([len(e) for e in episodes], np.int64),
                "storage": {name: (np.concatenate([e.data[name] for e in episodes]) if episodes
                                   else self.storage[name][:0].copy()) for name in self.storage},
                "open_lengths": np.array([len(rows) for rows in self.open], np.int64),
                "open": {c.name: (np.stack([row[c.name] for rows in self.open for row in rows])
                                  if any(self.open) else self.storage[c.name][:0].copy())
                         for c in self.columns}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state["capacity"]) != self.capacity:
            raise CheckpointError(f"episodic memory capacity in checkpoint is "
                                  f"{state['capacity']}, but this run's is {self.capacity}")
        self.stored.clear()
        self.position, self._index = 0, None
        offset = 0
        for length in np.asarray(state["lengths"], np.int64):
            self._write(Episode({name: np.asarray(state["storage"][name][offset:offset + length])
                                 for name in self.storage}))
            offset += int(length)
        offset = 0
        self.open = []
        for count in np.asarray(state["open_lengths"], np.int64):
            self.open.append([{name: np.asarray(state["open"][name][offset + i])
                               for name in self.storage} for i in range(int(count))])
            offset += int(count)
