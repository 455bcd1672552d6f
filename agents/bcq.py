"""Discrete BCQ (Fujimoto et al. 2019, "Benchmarking batch deep reinforcement learning
algorithms"): Double DQN whose argmax, when acting and in the target, only considers actions
the data makes likely enough: G(a|s) / max_b G(b|s) >= tau, G an imitation model of the
dataset's actions trained beside Q (``BCQHead``, ``BCQLoss``). For learning from a dataset
(``coachrl train PRESET --dataset data.h5``)."""

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
from coachrl.networks import BCQHead, BCQLoss
from coachrl.params.check import in_range, non_negative


@dataclass(slots=True, kw_only=True)
class BCQAlgorithmParams(QLearningAlgorithmParams):
    """DQN's replay settings, and BCQ's threshold and imitation weight."""

    threshold: float = 0.3  # tau: the least relative likelihood of an action considered
    imitation_weight: float = 1.0

    def __post_init__(self) -> None:
        QLearningAlgorithmParams.__post_init__(self)
        in_range("threshold", self.threshold, 0.0, 1.0, low_open=True)
        non_negative("imitation_weight", self.imitation_weight)


@dataclass(slots=True, kw_only=True)
class BCQParams(ValueOptimizationParams):
    """Discrete BCQ; it acts greedily among the data's likely actions."""

    agent_path: ClassVar[str] = "coachrl.agents.bcq:BCQAgent"
    algorithm: BCQAlgorithmParams = field(default_factory=BCQAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Greedy)


class BCQAgent(ValueOptimizationAgent):
    """y = r + gamma Q_target(s', argmax over likely a' of Q_online(s', a'))."""

    params: BCQParams

    def heads(self) -> tuple[BCQHead]:
        p = self.params.algorithm
        return (BCQHead(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                        threshold=p.threshold,
                        loss=BCQLoss(kind=p.loss, imitation_weight=p.imitation_weight)),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        head = self.q_head
        assert isinstance(head, BCQHead)
        next_observations = batch[B.NEXT_OBSERVATIONS]
        likely_best = self.online.predict(next_observations)[self.q_name].argmax(-1)
        q_target = self.target.predict(next_observations)[head.raw_name]
        return self.fit(batch, self.td_targets(batch, taken_values(q_target, likely_best)))
