"""Deterministic actor-critics' base (DDPG, TD3): a tanh policy mu(s), Q(s, a) critics, target
copies of both, exploration noise on the actions, replay."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from coachrl.agent.base import AgentContext
from coachrl.agent.continuous import ContinuousActorCriticAgent
from coachrl.agent.replay import ReplayAlgorithmParams
from coachrl.backend import ActorCriticBackend
from coachrl.core.batch import ActionInfo
from coachrl.core.spaces import BoxActions, flat_features
from coachrl.exploration import AdditiveGaussian, ExplorationPolicy
from coachrl.networks.spec import (
    ActionValueHead,
    DeterministicPolicyHead,
    SoftQLoss,
)
from coachrl.params.base import Activation, AgentParams, MemoryParams, NetworkParams
from coachrl.params.check import at_most, non_negative, positive


@dataclass(slots=True, kw_only=True)
class DeterministicAlgorithmParams(ReplayAlgorithmParams):
    """TD3's switches (Fujimoto et al. 2018); DDPG is critics=1, policy_delay=1, no noise."""

    critics: int = 2  # Q(s, a) critics; the target takes their minimum
    policy_delay: int = 2  # critic steps per actor step (and per target update)
    target_noise: float = 0.2  # std of the smoothing noise on the target action
    target_noise_clip: float = 0.5  # the smoothing noise's clip
    batch_size: int = 256
    train_frequency: int = 1
    learning_starts: int = 100
    target_update_period: int = 1
    target_update_tau: float = 0.005

    def __post_init__(self) -> None:
        ReplayAlgorithmParams.__post_init__(self)
        positive("critics", self.critics)
        positive("policy_delay", self.policy_delay)
        non_negative("target_noise", self.target_noise)
        non_negative("target_noise_clip", self.target_noise_clip)


@dataclass(slots=True, kw_only=True)
class DeterministicActorCriticParams(AgentParams):
    """A deterministic policy explored with noise on its actions."""

    algorithm: DeterministicAlgorithmParams = field(
        default_factory=DeterministicAlgorithmParams)
    memory: MemoryParams = field(default_factory=lambda: MemoryParams(capacity=1_000_000))
    exploration: ExplorationPolicy = field(default_factory=AdditiveGaussian)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(
        hidden_sizes=(400, 300), activation=Activation.RELU, ortho_init=False))
    learning_rate: float = 1e-3

    def __post_init__(self) -> None:
        AgentParams.__post_init__(self)
        at_most("algorithm.batch_size", self.algorithm.batch_size, "memory.capacity",
                self.memory.capacity)


class DeterministicActorCriticAgent(ContinuousActorCriticAgent):
    """mu(s) in [-1, 1]^D mapped onto the action bounds; target copies of actor and critics."""

    params: DeterministicActorCriticParams

    def __init__(self, params: DeterministicActorCriticParams, context: AgentContext) -> None:
        super().__init__(params, context, memory=params.memory)
        action = self.spaces.action
        assert isinstance(action, BoxActions)
        p = params.algorithm
        self.policy_head = DeterministicPolicyHead(action_dim=action.dim)
        actor_spec = self.network_spec((self.policy_head,))
        self.actor = self.build_network("actor", actor_spec)
        self.target_actor = self.build_network("target_actor", actor_spec, trainable=False)
        critic_spec = self.critic_spec(ActionValueHead(action_dim=action.dim, critics=p.critics,
                                                       loss=SoftQLoss(weight=1.0)))
        self.critic = self.build_network("critic", critic_spec)
        self.target_critic = self.build_network("target_critic", critic_spec, trainable=False)
        self.actor.copy_to(self.target_actor)
        self.critic.copy_to(self.target_critic)
        self.acting = self.build_acting_copy(self.actor)
        self.use_exploration(params.exploration)
        if isinstance(context.learner, ActorCriticBackend):
            self.update = context.learner.deterministic_actor_critic(
                actor=self.actor, critic=self.critic, target_actor=self.target_actor,
                target_critic=self.target_critic, target_noise=p.target_noise,
                target_noise_clip=p.target_noise_clip)

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        mu = self.acting.predict(observations)[self.policy_head.name]
        unit, _ = self.params.exploration.select(mu, step=step, rng=self.rng, explore=explore,
                                                 state=self.exploration_state)
        return ActionInfo(self.to_bounds(np.clip(unit, -1.0, 1.0)), {})

    def exploration_rate(self, step: int) -> float:
        return self.params.exploration.epsilon(step)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        """A critic step; every ``policy_delay``-th, an actor step too (its targets follow)."""
        assert self.update is not None  # train() checked
        metrics = self.update.critic_step(batch, discount=self.params.algorithm.discount)
        if (self.train_steps + 1) % self.params.algorithm.policy_delay == 0:
            metrics |= self.update.actor_step(batch)
        metrics["loss/total"] = metrics.get("loss/critic", 0.0) + metrics.get("loss/policy", 0.0)
        return metrics

    def target_update_due(self) -> bool:
        return self.train_steps % self.params.algorithm.policy_delay == 0

    def update_targets(self, tau: float) -> None:
        self.critic.copy_to(self.target_critic, tau=tau)
        self.actor.copy_to(self.target_actor, tau=tau)

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        """Q_1(s, mu(s)) of the deterministic policy's own actions."""
        mu = self.acting.predict(observations)[self.policy_head.name]
        q = self.critic.predict(np.concatenate([flat_features(observations), mu], axis=1,
                                                dtype=np.float32))
        return {"q": np.asarray(q[self.critic.spec.heads[0].name])[0]}
