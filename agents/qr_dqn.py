"""QR-DQN (Dabney et al. 2018): the return's quantiles at N fixed fractions, regressed onto the
Bellman-updated target quantiles with the quantile Huber loss."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
)
from coachrl.networks import QuantileHuberLoss, QuantileQHead
from coachrl.params.check import positive


@dataclass(slots=True, kw_only=True)
class QRDQNAlgorithmParams(ValueOptimizationAlgorithmParams):
    """Defaults: Dabney et al. 2018 (200 quantiles, kappa 1)."""

    quantiles: int = 200  # N
    kappa: float = 1.0  # Huber threshold of the quantile loss
    double: bool = False  # the online network picks the next action
    dueling: bool = False  # dueling value and advantage streams

    def __post_init__(self) -> None:
        ValueOptimizationAlgorithmParams.__post_init__(self)
        positive("quantiles", self.quantiles)
        positive("kappa", self.kappa)


@dataclass(slots=True, kw_only=True)
class QRDQNParams(ValueOptimizationParams):
    """Quantile-regression DQN."""

    agent_path: ClassVar[str] = "coachrl.agents.qr_dqn:QRDQNAgent"
    algorithm: QRDQNAlgorithmParams = field(default_factory=QRDQNAlgorithmParams)


class QRDQNAgent(ValueOptimizationAgent):
    """Acts on the quantiles' mean; learns the taken action's quantiles."""

    params: QRDQNParams

    def heads(self) -> tuple[QuantileQHead]:
        p = self.params.algorithm
        return (QuantileQHead(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                              quantiles=p.quantiles, dueling=p.dueling,
                              loss=QuantileHuberLoss(kappa=p.kappa)),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        return self.fit_quantiles(batch, double=self.params.algorithm.double)

