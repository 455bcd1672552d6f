"""C51 (Bellemare et al. 2017): the return's distribution on a fixed support of atoms, trained
by cross-entropy against the Bellman-updated target distribution projected onto the support.

Rainbow (Hessel et al. 2018) is this agent with noisy, dueling heads, double-Q action choice,
n-step transitions and prioritised replay switched on, each a block: a preset composes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import (
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
    taken_values,
)
from coachrl.core import batch as B
from coachrl.core.distributions import log_softmax
from coachrl.core.returns import categorical_projection
from coachrl.networks import CategoricalQHead
from coachrl.params.check import positive


@dataclass(slots=True, kw_only=True)
class C51AlgorithmParams(ValueOptimizationAlgorithmParams):
    """Defaults: Bellemare et al. 2017 (51 atoms in [-10, 10])."""

    atoms: int = 51  # support size
    v_min: float = -10.0  # lowest return on the support
    v_max: float = 10.0  # highest return on the support
    double: bool = False  # the online network picks the next action (Rainbow)
    noisy: bool = False  # NoisyNet output layers (Rainbow); pair with Greedy()
    dueling: bool = False  # dueling value and advantage streams (Rainbow)

    def __post_init__(self) -> None:
        ValueOptimizationAlgorithmParams.__post_init__(self)
        positive("atoms", self.atoms - 1)
        positive("v_max - v_min", self.v_max - self.v_min)


@dataclass(slots=True, kw_only=True)
class C51Params(ValueOptimizationParams):
    """Categorical DQN."""

    agent_path: ClassVar[str] = "coachrl.agents.c51:C51Agent"
    algorithm: C51AlgorithmParams = field(default_factory=C51AlgorithmParams)


class C51Agent(ValueOptimizationAgent):
    """Acts on the distributions' means; learns the distribution of the taken action."""

    params: C51Params

    def heads(self) -> tuple[CategoricalQHead]:
        p = self.params.algorithm
        return (CategoricalQHead(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                                 atoms=p.atoms, v_min=p.v_min, v_max=p.v_max, noisy=p.noisy,
                                 dueling=p.dueling),)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        head = self.q_head
        assert isinstance(head, CategoricalQHead)
        out = self.target.predict(batch[B.NEXT_OBSERVATIONS])
        best = self.next_actions(batch[B.NEXT_OBSERVATIONS], out[self.q_name],
                                 double=self.params.algorithm.double)
        next_probabilities = np.exp(log_softmax(taken_values(out[head.logits_name], best)))
        targets = categorical_projection(
            next_probabilities=next_probabilities, rewards=batch[B.REWARDS],
            terminated=batch[B.TERMINATED], support=head.support,
            discount=self.params.algorithm.discount, discounts=batch.get(B.DISCOUNTS))
        if self.prioritized:  # priority: the cross-entropy of each sample before the update
            logits = self.online.predict(batch[B.OBSERVATIONS])[head.logits_name]
            taken = log_softmax(taken_values(logits, batch[B.ACTIONS]))
            self.set_priorities(batch, -(targets * taken).sum(-1))
        return self.online.train_on_batch(
            {key: batch[key] for key in (B.OBSERVATIONS, B.ACTIONS, B.WEIGHTS) if key in batch}
            | {B.TARGETS: targets})
