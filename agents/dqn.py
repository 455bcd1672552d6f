"""DQN (Mnih et al. 2015): Q-learning with a target network, replay and e-greedy exploration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import QLearningAlgorithmParams, ValueOptimizationAgent, ValueOptimizationParams
from coachrl.core import batch as B
from coachrl.networks import DuelingQHead, QHead


@dataclass(slots=True, kw_only=True)
class DQNAlgorithmParams(QLearningAlgorithmParams):
    """Defaults: Mnih et al. 2015, with Huber loss."""


@dataclass(slots=True, kw_only=True)
class DQNParams(ValueOptimizationParams):
    """DQN: e-greedy over Q(s, .), regression onto r + gamma * max_a' Q_target(s', a')."""

    agent_path: ClassVar[str] = "coachrl.agents.dqn:DQNAgent"
    algorithm: DQNAlgorithmParams = field(default_factory=DQNAlgorithmParams)


class DQNAgent(ValueOptimizationAgent):
    """Deep Q-Network."""

    params: DQNParams

    def heads(self) -> tuple[QHead | DuelingQHead]:
        return (self.q_regression_head(),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        next_values = self.next_state_values(batch[B.NEXT_OBSERVATIONS])  # [batch]
        return self.fit(batch, self.td_targets(batch, next_values))

    def next_state_values(self, next_observations: NDArray) -> NDArray:
        """max_a' Q_target(s', a'), the value to bootstrap from (a subclass may change it)."""
        return self.target.predict(next_observations)[self.q_name].max(axis=1)  # [batch]
