"""Persistent advantage learning (Bellemare et al. 2016): the TD target lowered by alpha times
the action gap, V(s) - Q(s, a) (advantage learning), or by the gap of the same action at the
next state when that lowers it less (persistence), which widens the gap between the best action
and the others and so makes greedy choices robust to errors in Q."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import (
    QLearningAlgorithmParams,
    ValueOptimizationAgent,
    ValueOptimizationParams,
    taken_values,
)
from coachrl.core import batch as B
from coachrl.networks import DuelingQHead, QHead
from coachrl.params.check import in_range


@dataclass(slots=True, kw_only=True)
class PALAlgorithmParams(QLearningAlgorithmParams):
    """Defaults: Bellemare et al. 2016 (alpha 0.9), as Coach's PAL."""

    pal_alpha: float = 0.9  # weight of the action gap
    persistent: bool = True  # max(AL, PAL) targets; False: advantage learning alone

    def __post_init__(self) -> None:
        QLearningAlgorithmParams.__post_init__(self)
        in_range("pal_alpha", self.pal_alpha, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class PALParams(ValueOptimizationParams):
    """DQN's network and loss with (persistent) advantage-learning targets."""

    agent_path: ClassVar[str] = "coachrl.agents.pal:PALAgent"
    algorithm: PALAlgorithmParams = field(default_factory=PALAlgorithmParams)


class PALAgent(ValueOptimizationAgent):
    """y = max(y_TD - alpha (V(s) - Q(s, a)), y_TD - alpha (V(s') - Q(s', a))), by the target
    network; a transition that terminated has no s' and takes the advantage-learning target."""

    params: PALParams

    def heads(self) -> tuple[QHead | DuelingQHead]:
        return (self.q_regression_head(),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        return self.fit(batch, self.pal_targets(batch))

    def pal_targets(self, batch: dict[str, NDArray]) -> NDArray:
        p = self.params.algorithm
        actions = batch[B.ACTIONS]
        q_now = self.target.predict(batch[B.OBSERVATIONS])[self.q_name]
        q_next = self.target.predict(batch[B.NEXT_OBSERVATIONS])[self.q_name]
        targets = self.td_targets(batch, q_next.max(-1))
        advantage = targets - p.pal_alpha * (q_now.max(-1) - taken_values(q_now, actions))
        if not p.persistent:
            return advantage
        persistent = targets - p.pal_alpha * (q_next.max(-1) - taken_values(q_next, actions))
        persistent = np.where(batch[B.TERMINATED] > 0, advantage, persistent)
        return np.maximum(advantage, persistent).astype(np.float32)
