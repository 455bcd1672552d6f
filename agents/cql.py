"""Discrete CQL (Kumar et al. 2020, CQL(H)) on Double DQN: the TD loss plus alpha (logsumexp_b
Q(s, b) - Q(s, a)), which keeps the Q of actions the data does not take from being
overestimated when learning from a fixed dataset (``coachrl train PRESET --dataset data.h5``).
The difference from Double DQN is the Q head's loss (``CQLLoss``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    QLearningAlgorithmParams,
    ValueOptimizationAgent,
    ValueOptimizationParams,
    taken_values,
)
from coachrl.core import batch as B
from coachrl.exploration import ExplorationPolicy, Greedy
from coachrl.networks import CQLLoss, DuelingQHead, QHead
from coachrl.params.check import non_negative


@dataclass(slots=True, kw_only=True)
class CQLAlgorithmParams(QLearningAlgorithmParams):
    """DQN's replay settings and CQL's alpha."""

    alpha: float = 1.0  # weight of the conservative term

    def __post_init__(self) -> None:
        QLearningAlgorithmParams.__post_init__(self)
        non_negative("alpha", self.alpha)


@dataclass(slots=True, kw_only=True)
class CQLParams(ValueOptimizationParams):
    """Discrete CQL; it acts greedily."""

    agent_path: ClassVar[str] = "coachrl.agents.cql:CQLAgent"
    algorithm: CQLAlgorithmParams = field(default_factory=CQLAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Greedy)


class CQLAgent(ValueOptimizationAgent):
    """Double DQN's target, y = r + gamma Q_target(s', argmax Q_online(s', .)); the Q head
    trains by ``CQLLoss``."""

    params: CQLParams

    def heads(self) -> tuple[QHead | DuelingQHead]:
        p = self.params.algorithm
        head = DuelingQHead if p.dueling else QHead
        return (head(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                     noisy=p.noisy, loss=CQLLoss(kind=p.loss, alpha=p.alpha)),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        next_observations = batch[B.NEXT_OBSERVATIONS]
        q_target = self.target.predict(next_observations)[self.q_name]
        best = self.next_actions(next_observations, q_target, double=True)
        return self.fit(batch, self.td_targets(batch, taken_values(q_target, best)))
