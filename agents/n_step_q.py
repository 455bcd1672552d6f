"""N-step Q-learning (Mnih et al. 2016): no replay; each rollout of ``rollout_length`` steps
regresses Q(s_t, a_t) onto its n-step return r_t + ... + gamma^(k-1) r_{t+k-1} + gamma^k
max_a Q_target(s_{t+k}), bootstrapped at the rollout's end, with a target network copied every
``target_update_period`` gradient steps. One process: a synchronous n-step learner over its
vector envs. ``--workers N``: asynchronous, as A3C, each worker sending its rollout's gradient."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import (
    WHOLE_ROLLOUT,
    AgentContext,
    PolicyExport,
    RolloutAgent,
    RolloutAlgorithmParams,
)
from coachrl.backend import Weights
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.spaces import DiscreteActions
from coachrl.exploration import EGreedy, ExplorationPolicy
from coachrl.networks import QHead, QLoss, Regression
from coachrl.params import AgentParams
from coachrl.params.check import choice, positive


@dataclass(slots=True, kw_only=True)
class NStepQAlgorithmParams(RolloutAlgorithmParams):
    """Defaults: Mnih et al. 2016 (t_max = 5, one gradient step per rollout)."""

    rollout_length: int = 5  # t_max: env steps per env between updates
    gae_lambda: float = 1.0  # 1: n-step returns through the rollout's end (keep it)
    epochs: int = 1
    batch_size: int = WHOLE_ROLLOUT
    target_update_period: int = 100  # gradient steps between target-network copies
    loss: Regression = Regression.HUBER

    def __post_init__(self) -> None:
        RolloutAlgorithmParams.__post_init__(self)
        positive("target_update_period", self.target_update_period)
        self.loss = choice("loss", self.loss, Regression)


@dataclass(slots=True, kw_only=True)
class NStepQParams(AgentParams):
    """N-step Q-learning with e-greedy exploration."""

    agent_path: ClassVar[str] = "coachrl.agents.n_step_q:NStepQAgent"
    algorithm: NStepQAlgorithmParams = field(default_factory=NStepQAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=EGreedy)


class NStepQAgent(RolloutAgent):
    """The rollout driver with Q targets: the returns GAE computes from max_a Q_target(s) as
    every step's value (with lambda 1 they telescope into n-step returns, truncated episodes
    bootstrapping from their final observation)."""

    params: NStepQParams
    supported_actions = (DiscreteActions,)
    trainable = ("online",)

    def __init__(self, params: NStepQParams, context: AgentContext) -> None:
        super().__init__(params, context)
        head = QHead(n_actions=self.spaces.action.n,  # type: ignore[union-attr]
                     loss=QLoss(kind=params.algorithm.loss))
        spec = self.network_spec((head,))
        self.q_name = head.name
        self.online = self.build_network("online", spec)
        self.target = self.build_network("target", spec, trainable=False)
        self.online.copy_to(self.target)
        self.acting = self.build_acting_copy(self.online)
        self.use_exploration(params.exploration)

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        actions, _ = self.params.exploration.select(
            self.acting.predict(observations)[self.q_name], step=step, rng=self.rng,
            explore=explore, state=self.exploration_state)
        return ActionInfo(actions, {})

    def policy_export(self) -> PolicyExport:
        return self.exported(self.acting, self.q_name, values={"q": self.q_name})

    def exploration_rate(self, step: int) -> float:
        return self.params.exploration.epsilon(step)

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        return {"q": self.acting.predict(observations)[self.q_name]}

    def behaviour(self, observations: NDArray, actions: NDArray) -> dict[str, NDArray]:
        values = self.bootstrap_values(observations)
        return {B.VALUES: values, B.LOG_PROBS: np.zeros_like(values)}

    def bootstrap_values(self, observations: NDArray) -> NDArray:
        return self.target.predict(observations)[self.q_name].max(axis=1)

    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]:
        metrics = self.online.train_on_batch(self._q_batch(batch))
        self._after_update()
        return metrics

    def _q_batch(self, batch: dict[str, NDArray]) -> dict[str, NDArray]:
        return {B.OBSERVATIONS: batch[B.OBSERVATIONS], B.ACTIONS: batch[B.ACTIONS],
                B.TARGETS: batch[B.RETURNS]}

    def _after_update(self) -> None:
        if (self.train_steps + 1) % self.params.algorithm.target_update_period == 0:
            self.online.copy_to(self.target)


    # -- asynchronous workers (ComputesGradients), as A3C --------------------------------------
    def weights(self) -> dict[str, Weights]:
        """The online and the target network: workers bootstrap from the target."""
        return {"online": self.online.get_weights(), "target": self.target.get_weights()}

    def rollout_gradients(self) -> Weights:
        return self.online.compute_gradients(self._q_batch(self.whole_rollout()))

    def apply_gradients(self, gradients: Weights, *, step: int) -> dict[str, float]:
        self.apply_learning_rate(step)
        metrics = self.online.apply_gradients(gradients)
        self._after_update()
        self.train_steps += 1
        self.sync_acting()
        return metrics
