"""Soft Actor-Critic (Haarnoja et al. 2018): entropy-regularised, twin critics, tuned alpha."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import AgentContext, ContinuousActorCriticAgent, ReplayAlgorithmParams
from coachrl.backend import ActorCriticBackend
from coachrl.core.batch import ActionInfo
from coachrl.core.spaces import BoxActions
from coachrl.exploration import SquashedGaussian
from coachrl.networks import (
    ActionValueHead,
    OptimizerSpec,
    SquashedGaussianPolicyHead,
    TemperatureLoss,
)
from coachrl.params import Activation, AgentParams, InferenceBackend, MemoryParams, NetworkParams
from coachrl.params.check import at_most, in_range, one_of, positive


@dataclass(slots=True, kw_only=True)
class SACAlgorithmParams(ReplayAlgorithmParams):
    """Defaults: Haarnoja et al. 2018b (automatic temperature), as in SB3's SAC."""

    batch_size: int = 256  # transitions per gradient step
    train_frequency: int = 1  # env steps between training calls
    learning_starts: int = 100  # env steps before the first update (trains once past it)
    target_update_period: int = 1  # gradient steps between soft target updates
    target_update_tau: float = 0.005  # Polyak coefficient of the target critics
    critics: int = 2  # Q networks whose minimum is used (clipped double Q)
    initial_temperature: float = 1.0  # entropy temperature alpha before tuning
    target_entropy: float | None = None  # entropy alpha is tuned toward; None: -action_dim

    def __post_init__(self) -> None:
        ReplayAlgorithmParams.__post_init__(self)
        in_range("critics", self.critics, 1, None)
        positive("initial_temperature", self.initial_temperature)


@dataclass(slots=True, kw_only=True)
class SACParams(AgentParams):
    """SAC with SB3's defaults: 256-256 ReLU actor and critics, torch's default init, Adam 3e-4."""

    agent_path: ClassVar[str] = "coachrl.agents.sac:SACAgent"
    algorithm: SACAlgorithmParams = field(default_factory=SACAlgorithmParams)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(
        hidden_sizes=(256, 256), activation=Activation.RELU, ortho_init=False))
    memory: MemoryParams = field(default_factory=lambda: MemoryParams(capacity=1_000_000))
    exploration: SquashedGaussian = field(default_factory=SquashedGaussian)
    adam_epsilon: float = 1e-8  # Adam epsilon (torch's default, as SB3's SAC)
    inference_backend: InferenceBackend = InferenceBackend.TORCH  # workers act in numpy

    def __post_init__(self) -> None:
        AgentParams.__post_init__(self)
        one_of("memory.kind", self.memory.kind, ("uniform",))
        at_most("algorithm.batch_size", self.algorithm.batch_size, "memory.capacity",
                self.memory.capacity)


class SACAgent(ContinuousActorCriticAgent):
    """Soft Actor-Critic for 1-D Box actions; the policy acts in [-1, 1], mapped onto the bounds."""

    params: SACParams
    policy_head: SquashedGaussianPolicyHead

    def __init__(self, params: SACParams, context: AgentContext) -> None:
        super().__init__(params, context, memory=params.memory)
        action = self.spaces.action
        assert isinstance(action, BoxActions)
        p = params.algorithm
        self.policy_head = SquashedGaussianPolicyHead(action_dim=action.dim)
        self.actor = self.build_network("actor", self.network_spec((self.policy_head,)))
        critic_spec = self.critic_spec(ActionValueHead(action_dim=action.dim, critics=p.critics))
        self.critic = self.build_network("critic", critic_spec)
        self.target = self.build_network("target", critic_spec, trainable=False)
        self.critic.copy_to(self.target)
        self.acting = self.build_acting_copy(self.actor)
        self.use_exploration(params.exploration)
        if isinstance(context.learner, ActorCriticBackend):
            entropy = -float(action.dim) if p.target_entropy is None else p.target_entropy
            self.update = context.learner.soft_actor_critic(
                actor=self.actor, critic=self.critic, target=self.target,
                temperature=TemperatureLoss(target_entropy=entropy,
                                            initial_temperature=p.initial_temperature),
                optimizer=OptimizerSpec(learning_rate=self.learning_rate(0),
                                        adam_epsilon=params.adam_epsilon))

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        out = self.acting.predict(observations)
        unit, _ = self.params.exploration.select(  # [N, dim] in [-1, 1]
            out[self.policy_head.name], step=step, rng=self.rng, explore=explore,
            log_std=out[self.policy_head.log_std_name], state=self.exploration_state)
        return ActionInfo(self.to_bounds(unit), {})

    def update_targets(self, tau: float) -> None:
        self.critic.copy_to(self.target, tau=tau)

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        """Critics onto r + discount (1 - terminated) (min_i Q_target,i(s', a') - alpha log pi),
        a' ~ pi(.|s'); then the policy (alpha log pi - min_i Q_i) and alpha, a ~ pi(.|s)."""
        assert self.update is not None  # train() checked
        metrics = self.update.critic_step(batch, discount=self.params.algorithm.discount)
        metrics.update(self.update.actor_step(batch))
        metrics["loss/total"] = metrics.get("loss/critic", 0.0) + metrics.get("loss/policy", 0.0)
        return metrics
