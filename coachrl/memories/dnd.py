"""NEC's differentiable neural dictionary (Pritzel et al. 2017): per action, up to ``capacity``
(key, value) pairs; Q(h, a) is the kernel-weighted mean of the values of the ``neighbours``
keys nearest to the embedding h, with k(h, h_i) = 1 / (||h - h_i||^2 + delta).

    dnd = DifferentiableNeuralDictionary(n_actions=2, capacity=5000, key_size=64, neighbours=50)
    q = dnd.q_values(embeddings)                        # [B, n_actions]
    dnd.insert(embeddings, actions, targets)           # new keys, or a tabular update of a match
    loss, dl_dh, value_grads = dnd.gradients(embeddings, actions, targets)
    dnd.apply_value_gradients(value_grads, learning_rate)

A full dictionary replaces its least recently used entry (a key's time is refreshed whenever a
lookup returns it). Everything is numpy; the state is checkpointed with the agent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.errors import CheckpointError

Neighbours = tuple[NDArray, NDArray, NDArray]  # indices [B, p], kernel [B, p], distances [B, p]


class DifferentiableNeuralDictionary:
    """One dictionary per action, on preallocated arrays."""

    def __init__(self, *, n_actions: int, capacity: int, key_size: int, neighbours: int,
                 delta: float = 1e-3, insert_rate: float = 0.1) -> None:
        self.n_actions, self.capacity, self.key_size = n_actions, capacity, key_size
        self.neighbours, self.delta, self.insert_rate = neighbours, delta, insert_rate
        self.keys = np.zeros((n_actions, capacity, key_size), np.float32)
        self.values = np.zeros((n_actions, capacity), np.float32)
        self.last_used = np.zeros((n_actions, capacity), np.int64)
        self.sizes = np.zeros(n_actions, np.int64)
        self.clock = 0
        # each key's squared norm in float64, kept as keys are written: a lookup's distances
        # need them, and computing them per lookup squared every stored key again
        self._norms = np.zeros((n_actions, capacity), np.float64)

    def __len__(self) -> int:
        return int(self.sizes.sum())

    def _nearest(self, action: int, embeddings: NDArray) -> Neighbours:
        size = int(self.sizes[action])
        # in float64: ||h||^2 - 2 h.h_i + ||h_i||^2 cancels, and in float32 its rounding error
        # (~1e-5 for CartPole's embeddings) exceeded the gaps between near keys' distances
        h, keys = embeddings.astype(np.float64), self.keys[action, :size].astype(np.float64)
        distances = np.maximum((h ** 2).sum(1)[:, None] - 2.0 * h @ keys.T
                               + self._norms[action, :size][None], 0.0)  # [B, size]
        count = min(self.neighbours, size)
        if count < size:
            indices = np.argpartition(distances, count - 1, axis=1)[:, :count]
        else:
            indices = np.broadcast_to(np.arange(size), distances.shape)
        nearest = np.take_along_axis(distances, indices, 1).astype(np.float32)
        return indices, 1.0 / (nearest + np.float32(self.delta)), nearest

    def q_values(self, embeddings: NDArray, *, touch: bool = True) -> NDArray:
        """Q(h, a) [B, n_actions]; an action with an empty dictionary has Q = 0. ``touch``
        marks the returned keys as recently used (acting and training do; evaluation not)."""
        embeddings = np.asarray(embeddings, np.float32)
        q = np.zeros((len(embeddings), self.n_actions), np.float32)
        for action in range(self.n_actions):
            if self.sizes[action] == 0:
                continue
            indices, kernel, _ = self._nearest(action, embeddings)
            weights = kernel / kernel.sum(1, keepdims=True)
            q[:, action] = (weights * self.values[action][indices]).sum(1)
            if touch:
                self.last_used[action][indices] = self.clock
        if touch:
            self.clock += 1
        return q

    def insert(self, embeddings: NDArray, actions: NDArray, targets: NDArray) -> None:
        """Write (h, target) into each action's dictionary: a key already there (at distance
        < 1e-12) moves its value toward the target by ``insert_rate``; a new key takes a free
        slot, or the least recently used one."""
        for h, action, target in zip(np.asarray(embeddings, np.float32), np.asarray(actions),
                                     np.asarray(targets, np.float32), strict=True):
            a, size = int(action), int(self.sizes[action])
            if size:
                # a key within 1e-12 (squared) has a norm within 1e-6 of h's: only those are
                # compared in full, not every stored key
                squared = float((h.astype(np.float64) ** 2).sum())
                near = np.flatnonzero(np.abs(self._norms[a, :size] - squared)
                                      <= 2e-6 * (2.0 * np.sqrt(squared) + 1e-6))
                matches = near[((self.keys[a, near] - h) ** 2).sum(1) < 1e-12]
                if len(matches):
                    slot = int(matches[0])
                    self.values[a, slot] += self.insert_rate * (target - self.values[a, slot])
                    self.last_used[a, slot] = self.clock
                    continue
            if size < self.capacity:
                slot, self.sizes[a] = size, size + 1
            else:
                slot = int(np.argmin(self.last_used[a]))
            self.keys[a, slot], self.values[a, slot] = h, target
            self.last_used[a, slot] = self.clock
            self._keep(a, slot)
        self.clock += 1

    def _keep(self, action: int | slice, slots: int | slice) -> None:
        """Refresh the squared norms of the keys in ``slots``."""
        self._norms[action, slots] = (self.keys[action, slots].astype(np.float64) ** 2).sum(-1)

    def gradients(self, embeddings: NDArray, actions: NDArray,
                  targets: NDArray) -> tuple[float, NDArray, list[tuple[int, NDArray, NDArray]]]:
        """The loss mean((Q(h, a) - target)^2) over the batch, its gradient with respect to the
        embeddings [B, key_size], and per action (action, value indices [b, p], dL/dvalue [b, p])
        for ``apply_value_gradients``."""
        embeddings = np.asarray(embeddings, np.float32)
        count = len(embeddings)
        grad = np.zeros_like(embeddings)
        value_grads: list[tuple[int, NDArray, NDArray]] = []
        loss = 0.0
        for action in range(self.n_actions):
            rows = np.flatnonzero(np.asarray(actions) == action)
            if not len(rows) or self.sizes[action] == 0:
                continue
            h = embeddings[rows]
            indices, kernel, _ = self._nearest(action, h)
            total = kernel.sum(1, keepdims=True)
            weights = kernel / total
            values = self.values[action][indices]
            q = (weights * values).sum(1)
            error = q - np.asarray(targets, np.float32)[rows]
            loss += float((error ** 2).sum())
            dq = 2.0 * error / count  # dL/dQ
            neighbours = self.keys[action][indices]  # [b, p, K]
            # dQ/dh = -(2 / S) sum_i (v_i - Q) k_i^2 (h - h_i)
            coefficient = (values - q[:, None]) * kernel ** 2 / total  # [b, p]
            dq_dh = -2.0 * (coefficient[..., None] * (h[:, None] - neighbours)).sum(1)
            grad[rows] = dq[:, None] * dq_dh
            value_grads.append((action, indices, dq[:, None] * weights))
        return loss / max(count, 1), grad, value_grads

    def apply_value_gradients(self, value_grads: list[tuple[int, NDArray, NDArray]],
                              learning_rate: float) -> None:
        """One gradient-descent step on the looked-up values."""
        for action, indices, grads in value_grads:
            np.add.at(self.values[action], indices.ravel(), -learning_rate * grads.ravel())

    def state_dict(self) -> dict[str, Any]:
        return {"keys": self.keys.copy(), "values": self.values.copy(),
                "last_used": self.last_used.copy(), "sizes": self.sizes.copy(),
                "clock": self.clock}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if tuple(state["keys"].shape) != self.keys.shape:
            raise CheckpointError(f"the checkpoint's dictionary holds keys of shape "
                                  f"{tuple(state['keys'].shape)}; this agent's are "
                                  f"{self.keys.shape} (n_actions, capacity, key_size)")
        self.keys[:], self.values[:] = state["keys"], state["values"]
        self.last_used[:], self.sizes[:] = state["last_used"], state["sizes"]
        self.clock = int(state["clock"])
        self._keep(slice(None), slice(None))
