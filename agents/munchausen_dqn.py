"""Munchausen DQN (Vieillard et al. 2020): soft Q-learning whose target adds the scaled,
clipped log-probability of the taken action under the target network's softmax policy,
alpha * clip(tau * log pi(a|s), l0, 0), to the reward; the bootstrap is the soft value
sum_a' pi(a'|s') (Q(s', a') - tau * log pi(a'|s'))."""

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
from coachrl.core.distributions import log_softmax
from coachrl.networks import DuelingQHead, QHead
from coachrl.params.check import in_range, positive


@dataclass(slots=True, kw_only=True)
class MunchausenAlgorithmParams(QLearningAlgorithmParams):
    """Defaults: Vieillard et al. 2020 (tau 0.03, alpha 0.9, l0 -1)."""

    entropy_tau: float = 0.03  # temperature of the softmax policy
    munchausen_alpha: float = 0.9  # weight of the log-policy bonus
    log_policy_clip: float = -1.0  # l0: the bonus's lower clip

    def __post_init__(self) -> None:
        QLearningAlgorithmParams.__post_init__(self)
        positive("entropy_tau", self.entropy_tau)
        in_range("munchausen_alpha", self.munchausen_alpha, 0.0, 1.0)
        in_range("log_policy_clip", self.log_policy_clip, None, 0.0)


@dataclass(slots=True, kw_only=True)
class MunchausenDQNParams(ValueOptimizationParams):
    """DQN's network and loss with the Munchausen target."""

    agent_path: ClassVar[str] = "coachrl.agents.munchausen_dqn:MunchausenDQNAgent"
    algorithm: MunchausenAlgorithmParams = field(default_factory=MunchausenAlgorithmParams)


class MunchausenDQNAgent(ValueOptimizationAgent):
    """DQN with the Munchausen-augmented soft target."""

    params: MunchausenDQNParams

    def heads(self) -> tuple[QHead | DuelingQHead]:
        return (self.q_regression_head(),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        p = self.params.algorithm
        tau = p.entropy_tau
        q_now = self.target.predict(batch[B.OBSERVATIONS])[self.q_name]
        bonus = p.munchausen_alpha * np.clip(
            tau * taken_values(log_softmax(q_now / tau), batch[B.ACTIONS]), p.log_policy_clip, 0)
        # the bootstrap: the soft value sum_a' pi(a'|s') (Q(s', a') - tau log pi(a'|s'))
        q_next = self.target.predict(batch[B.NEXT_OBSERVATIONS])[self.q_name]
        log_pi = log_softmax(q_next / tau)
        soft_values = (np.exp(log_pi) * (q_next - tau * log_pi)).sum(-1)
        return self.fit(batch, self.td_targets(batch, soft_values) + bonus.astype(np.float32))
