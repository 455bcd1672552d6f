"""Policy gradients (REINFORCE, Williams 1992; Coach's PolicyGradientsAgent): the policy's
log-likelihood of each action weighted by a rescaled Monte-Carlo return, trained once
``episodes_per_update`` whole episodes have finished. The rescalers are Coach's: the
episode's total return, the future return, and the future return standardised per episode or
per timestep. (With a learnt value baseline and GAE it is A2C: the CartPole_A2C preset.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import Agent, AgentContext, PolicyExport, policy_head
from coachrl.backend import State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.returns import rescale_returns
from coachrl.exploration import Categorical, ExplorationPolicy
from coachrl.memories import MC_RETURNS, EpisodeReturnsBuilder
from coachrl.networks import PolicyGradientLoss
from coachrl.networks.heads import Distribution
from coachrl.params import AgentParams, AlgorithmParams
from coachrl.params.check import choice, non_negative, positive

TIMESTEPS = "timesteps"


class ReturnRescaler(StrEnum):
    """What weighs each step's log-likelihood (Coach's PolicyGradientRescaler)."""

    TOTAL_RETURN = "total_return"
    FUTURE_RETURN = "future_return"
    FUTURE_RETURN_NORMALIZED_BY_EPISODE = "future_return_normalized_by_episode"
    FUTURE_RETURN_NORMALIZED_BY_TIMESTEP = "future_return_normalized_by_timestep"


@dataclass(slots=True, kw_only=True)
class PGAlgorithmParams(AlgorithmParams):
    """Defaults: Coach's PG (future return standardised per timestep, 1 episode per update)."""

    episodes_per_update: int = 1
    rescaler: ReturnRescaler = ReturnRescaler.FUTURE_RETURN_NORMALIZED_BY_TIMESTEP
    entropy_weight: float = 0.0

    def __post_init__(self) -> None:
        AlgorithmParams.__post_init__(self)
        positive("episodes_per_update", self.episodes_per_update)
        non_negative("entropy_weight", self.entropy_weight)
        self.rescaler = choice("rescaler", self.rescaler, ReturnRescaler)


@dataclass(slots=True, kw_only=True)
class PGParams(AgentParams):
    """REINFORCE acting with its own stochastic policy."""

    agent_path: ClassVar[str] = "coachrl.agents.pg:PGAgent"
    algorithm: PGAlgorithmParams = field(default_factory=PGAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Categorical)


class PGAgent(Agent):
    """Whole episodes of every env wait in an ``EpisodeReturnsBuilder``; with several envs, a
    step of an episode still running at an update is trained on with the next one."""

    params: PGParams
    trainable = ("main",)

    def __init__(self, params: PGParams, context: AgentContext) -> None:
        super().__init__(params, context)
        self.policy_head = policy_head(self.spaces.action, PolicyGradientLoss(
            entropy_weight=params.algorithm.entropy_weight))
        self.main = self.build_network("main", self.network_spec((self.policy_head,)))
        self.acting = self.build_acting_copy(self.main)
        self.use_exploration(params.exploration)
        self.episodes = EpisodeReturnsBuilder(discount=params.algorithm.discount,
                                              n_envs=context.n_envs)
        self.timesteps = np.zeros(context.n_envs, np.int64)
        self.finished: list[dict[str, NDArray]] = []

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        out = self.acting.predict(observations)
        head = self.policy_head
        log_std = (out[head.distribution_outputs()[1]]
                   if head.distribution is Distribution.GAUSSIAN else None)
        return ActionInfo(self.params.exploration.actions(
            out[head.name], step=step, rng=self.rng, explore=explore, log_std=log_std,
            state=self.exploration_state), {})

    def policy_export(self) -> PolicyExport:
        return self.exported(self.acting, self.policy_head.name, values={},
                             continuous=self.policy_head.distribution is Distribution.GAUSSIAN)

    def observe(self, observations: NDArray, info: ActionInfo, result: StepResult) -> None:
        self.end_episodes(result)
        released = self.episodes.add(
            {B.OBSERVATIONS: observations, B.ACTIONS: info.actions, B.REWARDS: result.rewards,
             TIMESTEPS: self.timesteps.copy()}, dones=result.dones, valid=result.valid)
        self.timesteps[result.valid] += 1
        self.timesteps[result.valid & result.dones] = 0
        if len(released[B.REWARDS]):
            self.finished.append(released)

    def finished_episodes(self) -> int:
        return sum(int((part[TIMESTEPS] == 0).sum()) for part in self.finished)

    def ready_to_train(self, step: int) -> bool:
        return self.finished_episodes() >= self.params.algorithm.episodes_per_update

    def train(self, step: int) -> dict[str, float]:
        batch = {key: np.concatenate([part[key] for part in self.finished])
                 for key in self.finished[0]}
        self.finished = []
        advantages = rescale_returns(batch[MC_RETURNS], batch[TIMESTEPS],
                                     self.params.algorithm.rescaler)
        self.apply_learning_rate(step)
        metrics = self.main.train_on_batch({B.OBSERVATIONS: batch[B.OBSERVATIONS],
                                            B.ACTIONS: batch[B.ACTIONS],
                                            B.ADVANTAGES: advantages})
        self.train_steps += 1
        self.sync_acting()
        return metrics

    def state_dict(self) -> State:
        finished = ({key: np.concatenate([part[key] for part in self.finished])
                     for key in self.finished[0]} if self.finished else {})
        return super().state_dict() | {"episodes": self.episodes.state_dict(),
                                       "timesteps": self.timesteps.copy(), "finished": finished}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.episodes.load_state_dict(state["episodes"])
        self.timesteps[:] = state["timesteps"]
        self.finished = [dict(state["finished"])] if state["finished"] else []
