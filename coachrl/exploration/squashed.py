"""Acting with a tanh-squashed Gaussian policy (SAC): a sample when exploring, tanh(mean) not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core.ops import Ops
from coachrl.exploration.policies import (
    NO_LOG_PROBS,
    ExplorationPolicy,
    ExplorationState,
    refuse_probabilities,
)


@dataclass(slots=True, frozen=True, kw_only=True)
class SquashedGaussian(ExplorationPolicy):
    """tanh(mean + std * noise) in [-1, 1] when exploring, tanh(mean) when not (Haarnoja et al.
    2018); the agent maps [-1, 1] onto the env's action bounds."""

    probabilities = refuse_probabilities  # type: ignore[assignment]

    def greedy(self, ops: Ops, scores: Any, *, continuous: bool) -> Any:
        return ops.tanh(scores)

    def select(self, scores: NDArray, *, step: int, rng: np.random.Generator,
               explore: bool, log_std: NDArray | None = None,
               state: ExplorationState | None = None) -> tuple[NDArray, NDArray]:
        if not explore:
            return np.tanh(scores), NO_LOG_PROBS
        if log_std is None:
            raise ValueError("a squashed Gaussian explores with the policy's log-std; got none")
        noise = rng.standard_normal(scores.shape).astype(scores.dtype)
        return np.tanh(scores + np.exp(log_std) * noise), NO_LOG_PROBS
