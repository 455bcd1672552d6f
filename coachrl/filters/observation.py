"""Running mean/std observation normalisation (checkpointed with the run)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


class ObservationNormalizer:
    """(x - mean) / std clipped to +-clip, statistics updated from every training batch.

    Uses Chan et al.'s parallel variance update, so a batch of N envs is one update.
    """

    def __init__(self, shape: tuple[int, ...], *, clip: float = 10.0,
                 epsilon: float = 1e-8) -> None:
        self.mean = np.zeros(shape, dtype=np.float64)
        self.var = np.ones(shape, dtype=np.float64)
        self.count = 1e-4
        self.clip = clip
        self.epsilon = epsilon

    def update(self, batch: NDArray) -> None:
        self.merge(batch.mean(axis=0), batch.var(axis=0), len(batch))

    def merge(self, mean: NDArray, var: NDArray, count: float) -> None:
        """Add the statistics of ``count`` more observations (mean and population variance)."""
        delta = mean - self.mean
        total = self.count + count
        self.mean = self.mean + delta * count / total
        m2 = self.var * self.count + var * count + delta**2 * self.count * count / total
        self.var = m2 / total
        self.count = total

    def since(self, earlier: dict[str, Any]) -> dict[str, Any]:
        """The statistics of the observations added after ``earlier`` (a ``state_dict`` of
        this normaliser): ``merge`` of the result onto ``earlier`` gives today's state again.
        Rollout workers send this with each fragment; the learner merges every worker's."""
        count = self.count - float(earlier["count"])
        if count <= 0:
            return {"mean": np.zeros_like(self.mean), "var": np.zeros_like(self.var),
                    "count": 0.0}
        old_mean, old_count = np.asarray(earlier["mean"]), float(earlier["count"])
        mean = (self.mean * self.count - old_mean * old_count) / count
        delta = mean - old_mean
        m2 = (self.var * self.count - np.asarray(earlier["var"]) * old_count
              - delta**2 * old_count * count / self.count)
        return {"mean": mean, "var": np.maximum(m2 / count, 0.0), "count": count}

    def __call__(self, observations: NDArray) -> NDArray:
        scaled = (observations - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(scaled, -self.clip, self.clip).astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.copy(), "var": self.var.copy(), "count": float(self.count)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.var = np.asarray(state["var"], dtype=np.float64)
        self.count = float(state["count"])
