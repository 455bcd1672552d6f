"""Bootstrapped DQN (Osband et al. 2016): K Q heads on shared features, each trained on its
own bootstrap of the replay (a Bernoulli(p) mask per transition and head) toward its own target;
each episode acts greedily with one head drawn at its start, which explores deeply. With
``exploration=UCB(...)``: UCB over the Q ensemble (Chen et al. 2017), optimism from the heads'
disagreement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import (
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
)
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.returns import n_step_targets
from coachrl.exploration import BootstrappedHeads, ExplorationPolicy
from coachrl.memories import Column
from coachrl.networks import EnsembleQLoss, QEnsembleHead, Regression
from coachrl.params.check import choice, in_range, positive


@dataclass(slots=True, kw_only=True)
class BootstrappedAlgorithmParams(ValueOptimizationAlgorithmParams):
    """Defaults: Osband et al. 2016 (10 heads, masks with p = 1: every head sees every
    transition and differs by its initialisation; p = 0.5 is the classic bootstrap)."""

    heads: int = 10  # K
    mask_probability: float = 1.0  # p of the Bernoulli bootstrap masks
    double: bool = True  # each head's own online choice of a' (the paper's double-Q target)
    loss: Regression = Regression.HUBER

    def __post_init__(self) -> None:
        ValueOptimizationAlgorithmParams.__post_init__(self)
        positive("heads", self.heads)
        in_range("mask_probability", self.mask_probability, 0.0, 1.0, low_open=True)
        self.loss = choice("loss", self.loss, Regression)


@dataclass(slots=True, kw_only=True)
class BootstrappedDQNParams(ValueOptimizationParams):
    """An ensemble of Q heads exploring by one head per episode."""

    agent_path: ClassVar[str] = "coachrl.agents.bootstrapped_dqn:BootstrappedDQNAgent"
    algorithm: BootstrappedAlgorithmParams = field(default_factory=BootstrappedAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=BootstrappedHeads)


class BootstrappedDQNAgent(ValueOptimizationAgent):
    """Every head regresses onto r + gamma^m Q_k,target(s', a*_k), counted where its mask is 1."""

    params: BootstrappedDQNParams

    def heads(self) -> tuple[QEnsembleHead]:
        p = self.params.algorithm
        return (QEnsembleHead(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                              members=p.heads, loss=EnsembleQLoss(kind=p.loss)),)

    def extra_columns(self) -> tuple[Column, ...]:
        return (Column(B.MASKS, (self.params.algorithm.heads,)),)

    def step_extras(self, info: ActionInfo) -> dict[str, NDArray]:
        p = self.params.algorithm
        draws = self.rng.random((len(info.actions), p.heads))
        return {B.MASKS: (draws < p.mask_probability).astype(np.float32)}

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        p = self.params.algorithm
        q_target = self.target.predict(batch[B.NEXT_OBSERVATIONS])[self.q_name]  # [B, K, A]
        best = self.next_actions(batch[B.NEXT_OBSERVATIONS], q_target, double=p.double)
        next_values = np.take_along_axis(q_target, best[..., None], -1)[..., 0]  # [B, K]
        targets = n_step_targets(
            rewards=batch[B.REWARDS][:, None], next_values=next_values,
            terminated=batch[B.TERMINATED][:, None], discount=p.discount,
            discounts=None if B.DISCOUNTS not in batch else batch[B.DISCOUNTS][:, None])
        return self.online.train_on_batch(
            {key: batch[key] for key in (B.OBSERVATIONS, B.ACTIONS, B.MASKS, B.WEIGHTS)
             if key in batch} | {B.TARGETS: targets})
