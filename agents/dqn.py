"""DQN (Mnih et al. 2015): Q-learning with a target network, replay and e-greedy exploration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
)
from coachrl.core import batch as B
from coachrl.core.returns import n_step_targets
from coachrl.networks import QHead, QLoss, Regression
from coachrl.params.check import choice


@dataclass(slots=True, kw_only=True)
class DQNAlgorithmParams(ValueOptimizationAlgorithmParams):
    """Defaults: Mnih et al. 2015, with Huber loss."""

    loss: Regression = Regression.HUBER  # the TD loss
    noisy: bool = False  # NoisyNet output layer (Fortunato et al. 2018); pair with Greedy()

    def __post_init__(self) -> None:
        ValueOptimizationAlgorithmParams.__post_init__(self)
        self.loss = choice("loss", self.loss, Regression)


@dataclass(slots=True, kw_only=True)
class DQNParams(ValueOptimizationParams):
    """DQN: e-greedy over Q(s, .), regression onto r + gamma * max_a' Q_target(s', a')."""

    agent_path: ClassVar[str] = "coachrl.agents.dqn:DQNAgent"
    algorithm: DQNAlgorithmParams = field(default_factory=DQNAlgorithmParams)


class DQNAgent(ValueOptimizationAgent):
    """Deep Q-Network."""

    params: DQNParams

    def heads(self) -> tuple[QHead]:
        n_actions = self.spaces.action.n  # type: ignore[union-attr]
        p = self.params.algorithm
        return (QHead(n_actions=n_actions, noisy=p.noisy, loss=QLoss(kind=p.loss)),)

    def next_state_values(self, next_observations: NDArray) -> NDArray:
        """max_a' Q_target(s', a'); Double DQN overrides only this."""
        return self.target.predict(next_observations)[self.q_name].max(axis=1)  # [batch]

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        next_values = self.next_state_values(batch[B.NEXT_OBSERVATIONS])  # [batch]
        targets = n_step_targets(
            rewards=batch[B.REWARDS], next_values=next_values,
            terminated=batch[B.TERMINATED], discount=self.params.algorithm.discount,
            discounts=batch.get(B.DISCOUNTS),  # n-step memory: gamma^m per transition
        )
        train_batch = {B.OBSERVATIONS: batch[B.OBSERVATIONS], B.ACTIONS: batch[B.ACTIONS],
                       B.TARGETS: targets}
        if B.WEIGHTS in batch:  # prioritised replay: importance-sampling correction
            train_batch[B.WEIGHTS] = batch[B.WEIGHTS]
        self.update_priorities(batch, targets)  # |TD error| before this update
        return self.online.train_on_batch(train_batch)
