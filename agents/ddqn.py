"""Double DQN (van Hasselt et al. 2016): the online network picks the next action, the target
network rates it, which removes Q-learning's overestimation from the max. With
``algorithm.dueling=True``: Dueling Double DQN (Wang et al. 2016)."""

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
from coachrl.networks import DuelingQHead, QHead


@dataclass(slots=True, kw_only=True)
class DDQNParams(ValueOptimizationParams):
    """DQN's parameters; only the target changes."""

    agent_path: ClassVar[str] = "coachrl.agents.ddqn:DDQNAgent"
    algorithm: QLearningAlgorithmParams = field(default_factory=QLearningAlgorithmParams)


class DDQNAgent(ValueOptimizationAgent):
    """y = r + gamma * Q_target(s', argmax_a' Q_online(s', a'))."""

    params: DDQNParams

    def heads(self) -> tuple[QHead | DuelingQHead]:
        return (self.q_regression_head(),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        return self.fit(batch, self.td_targets(batch, self.double_q(batch)))

    def double_q(self, batch: dict[str, NDArray]) -> NDArray:
        next_observations = batch[B.NEXT_OBSERVATIONS]
        q_target = self.target.predict(next_observations)[self.q_name]  # [batch, actions]
        return taken_values(q_target, self.next_actions(next_observations, q_target, double=True))
