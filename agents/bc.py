"""Behavioural cloning: a policy fitted by maximum likelihood to the actions of a dataset
(``coachrl train CartPole_BC --dataset data.h5``). The likelihood-ratio loss with every
advantage 1 is the negative log-likelihood, so the policy head and its loss are the policy
family's own; the replay driver samples the batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import (
    AgentContext,
    PolicyExport,
    ReplayAgent,
    ReplayAlgorithmParams,
    policy_head,
)
from coachrl.core import batch as B
from coachrl.exploration import Categorical, ExplorationPolicy
from coachrl.networks import Distribution, PolicyGradientLoss
from coachrl.params import AgentParams, MemoryParams


@dataclass(slots=True, kw_only=True)
class BCAlgorithmParams(ReplayAlgorithmParams):
    """Minibatches of the dataset; no targets to update."""

    batch_size: int = 128
    learning_starts: int = 0
    entropy_weight: float = 0.0  # an entropy bonus keeps the fitted policy from collapsing


@dataclass(slots=True, kw_only=True)
class BCParams(AgentParams):
    """Behavioural cloning of a dataset's actions."""

    agent_path: ClassVar[str] = "coachrl.agents.bc:BCAgent"
    algorithm: BCAlgorithmParams = field(default_factory=BCAlgorithmParams)
    memory: MemoryParams = field(default_factory=lambda: MemoryParams(capacity=1_000_000))
    exploration: ExplorationPolicy = field(default_factory=Categorical)


class BCAgent(ReplayAgent):
    """A policy network trained on (s, a) pairs; acts with the mode of its policy."""

    params: BCParams
    trainable = ("main",)

    def __init__(self, params: BCParams, context: AgentContext) -> None:
        super().__init__(params, context, memory=params.memory)
        self.policy_head = policy_head(self.spaces.action, PolicyGradientLoss(
            entropy_weight=params.algorithm.entropy_weight))
        self.main = self.build_network("main", self.network_spec((self.policy_head,)))
        self.acting = self.build_acting_copy(self.main)
        self.use_exploration(params.exploration)

    def act(self, observations: NDArray, *, step: int, explore: bool) -> B.ActionInfo:
        out = self.acting.predict(observations)
        head = self.policy_head
        log_std = (out[head.distribution_outputs()[1]]
                   if head.distribution is Distribution.GAUSSIAN else None)
        return B.ActionInfo(self.params.exploration.actions(
            out[head.name], step=step, rng=self.rng, explore=explore, log_std=log_std,
            state=self.exploration_state), {})

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        actions = batch[B.ACTIONS]
        return self.main.train_on_batch({B.OBSERVATIONS: batch[B.OBSERVATIONS],
                                         B.ACTIONS: actions,
                                         B.ADVANTAGES: np.ones(len(actions), np.float32)})

    def policy_export(self) -> PolicyExport:
        return self.exported(self.acting, self.policy_head.name, values={},
                             continuous=self.policy_head.distribution is Distribution.GAUSSIAN)
