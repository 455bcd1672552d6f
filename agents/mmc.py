"""Mixed Monte-Carlo (Ostrovski et al. 2017; Coach's MMC agent): the double-Q TD target mixed
with the transition's Monte-Carlo return, y = (1 - beta) y_TD + beta R_MC, which propagates
sparse rewards faster than one-step bootstrapping. Transitions enter the replay when their
episode ends, with their discounted return to its end."""

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
from coachrl.memories import MC_RETURNS
from coachrl.networks import DuelingQHead, QHead
from coachrl.params.check import in_range


@dataclass(slots=True, kw_only=True)
class MMCAlgorithmParams(QLearningAlgorithmParams):
    """Defaults: Ostrovski et al. 2017 and Coach (beta = 0.1)."""

    monte_carlo_mixing_rate: float = 0.1  # beta: the Monte-Carlo return's share of the target

    def __post_init__(self) -> None:
        QLearningAlgorithmParams.__post_init__(self)
        in_range("monte_carlo_mixing_rate", self.monte_carlo_mixing_rate, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class MMCParams(ValueOptimizationParams):
    """Double DQN's network and loss with mixed Monte-Carlo targets."""

    agent_path: ClassVar[str] = "coachrl.agents.mmc:MMCAgent"
    algorithm: MMCAlgorithmParams = field(default_factory=MMCAlgorithmParams)


class MMCAgent(ValueOptimizationAgent):
    """y = (1 - beta) (r + gamma Q_target(s', argmax Q_online(s', .))) + beta R_MC."""

    params: MMCParams
    monte_carlo_returns = True

    def heads(self) -> tuple[QHead | DuelingQHead]:
        return (self.q_regression_head(),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        beta = self.params.algorithm.monte_carlo_mixing_rate
        next_observations = batch[B.NEXT_OBSERVATIONS]
        q_target = self.target.predict(next_observations)[self.q_name]
        best = self.next_actions(next_observations, q_target, double=True)
        td = self.td_targets(batch, taken_values(q_target, best))
        return self.fit(batch, (1.0 - beta) * td + beta * batch[MC_RETURNS])
