"""IQN (Dabney et al. 2018b): quantiles at fractions tau sampled for every training sample,
each tau embedded by cosines and multiplied into the features, so one network represents the
whole quantile function; acting and the targets use the fractions' midpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
)
from coachrl.networks import ImplicitQuantileHead, QuantileHuberLoss
from coachrl.params.check import non_negative, positive


@dataclass(slots=True, kw_only=True)
class IQNAlgorithmParams(ValueOptimizationAlgorithmParams):
    """Defaults: Dabney et al. 2018b (N = N' = 32 fractions, 64 cosines, kappa 1); their
    network's layer after the merge is ``hidden_size`` (512 on Atari)."""

    quantiles: int = 32  # fractions drawn per sample (N; the targets' N' as well)
    embedding_size: int = 64  # cosines per fraction
    hidden_size: int = 0  # a ReLU layer between the merge and the output (the paper's f); 0: none
    kappa: float = 1.0  # Huber threshold of the quantile loss
    double: bool = False  # the online network picks the next action

    def __post_init__(self) -> None:
        ValueOptimizationAlgorithmParams.__post_init__(self)
        for name in ("quantiles", "embedding_size", "kappa"):
            positive(name, getattr(self, name))
        non_negative("hidden_size", self.hidden_size)


@dataclass(slots=True, kw_only=True)
class IQNParams(ValueOptimizationParams):
    """Implicit quantile networks."""

    agent_path: ClassVar[str] = "coachrl.agents.iqn:IQNAgent"
    algorithm: IQNAlgorithmParams = field(default_factory=IQNAlgorithmParams)


class IQNAgent(ValueOptimizationAgent):
    """QR-DQN's update on an implicit quantile head."""

    params: IQNParams

    def heads(self) -> tuple[ImplicitQuantileHead]:
        p = self.params.algorithm
        return (ImplicitQuantileHead(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                                     quantiles=p.quantiles, embedding_size=p.embedding_size,
                                 hidden_size=p.hidden_size,
                                     loss=QuantileHuberLoss(kappa=p.kappa)),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        return self.fit_quantiles(batch, double=self.params.algorithm.double)
