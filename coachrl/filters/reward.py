"""Reward scaling and clipping (stateless)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(slots=True, frozen=True)
class RewardFilter:
    """r * scale, then clipped to +-clip when clip > 0 (Mnih et al. 2015 clip to +-1)."""

    scale: float = 1.0
    clip: float = 0.0

    @property
    def is_identity(self) -> bool:
        return self.scale == 1.0 and self.clip <= 0

    def __call__(self, rewards: NDArray) -> NDArray:
        out = rewards.astype(np.float32) * np.float32(self.scale)
        return np.clip(out, -self.clip, self.clip) if self.clip > 0 else out
