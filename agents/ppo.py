"""PPO with an adaptive KL penalty (Schulman et al. 2017, section 4): the surrogate
mean(ratio * A) penalised by beta * KL(old || new); after each update beta doubles when the
measured KL exceeded 1.5x its target and halves when it fell below the target / 1.5."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    AgentContext,
    PolicyOptimizationAgent,
    PolicyOptimizationAlgorithmParams,
    PolicyOptimizationParams,
    policy_head,
)
from coachrl.backend import State
from coachrl.networks import (
    DiscretePolicyHead,
    GaussianPolicyHead,
    KLPenaltySurrogateLoss,
    ValueLoss,
    VHead,
)
from coachrl.params import NetworkParams
from coachrl.params.check import non_negative, positive

KL_WEIGHT = "kl_weight"


@dataclass(slots=True, kw_only=True)
class PPOAlgorithmParams(PolicyOptimizationAlgorithmParams):
    """Defaults: the paper's adaptive-KL variant (target 0.01, beta from 1)."""

    kl_target: float = 0.01  # d_targ: the KL per update the penalty steers toward
    initial_kl_weight: float = 1.0  # beta before the first adaptation
    value_weight: float = 0.5  # value-loss coefficient
    entropy_weight: float = 0.0  # entropy-bonus coefficient
    normalize_advantages: bool = True  # per-minibatch advantage normalisation

    def __post_init__(self) -> None:
        PolicyOptimizationAlgorithmParams.__post_init__(self)
        positive("kl_target", self.kl_target)
        positive("initial_kl_weight", self.initial_kl_weight)
        non_negative("value_weight", self.value_weight)
        non_negative("entropy_weight", self.entropy_weight)


@dataclass(slots=True, kw_only=True)
class PPOParams(PolicyOptimizationParams):
    """PPO-KL with separate actor and critic towers by default (as Clipped PPO's)."""

    agent_path: ClassVar[str] = "coachrl.agents.ppo:PPOAgent"
    algorithm: PPOAlgorithmParams = field(default_factory=PPOAlgorithmParams)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(separate_towers=True))
    max_grad_norm: float = 0.5


class PPOAgent(PolicyOptimizationAgent):
    """The rollout driver with the KL-penalised surrogate and beta's adaptation."""

    params: PPOParams

    def __init__(self, params: PPOParams, context: AgentContext) -> None:
        super().__init__(params, context)
        self.kl_weight = params.algorithm.initial_kl_weight

    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]:
        p = self.params.algorithm
        surrogate = KLPenaltySurrogateLoss(kl_weight=p.initial_kl_weight,
                                           entropy_weight=p.entropy_weight,
                                           normalize_advantages=p.normalize_advantages)
        policy = policy_head(self.spaces.action, surrogate)
        return policy, VHead(loss=ValueLoss(weight=p.value_weight))

    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]:
        return self.main.train_on_batch(batch, kl_weight=self.kl_weight)

    def train(self, step: int) -> dict[str, float]:
        metrics = super().train(step)
        self.adapt_kl_weight(metrics[f"{self.policy_head.name}/approx_kl"])
        return metrics | {"ppo/kl_weight": self.kl_weight}

    def adapt_kl_weight(self, kl: float) -> None:
        """beta x 2 when KL > 1.5 d_targ; beta / 2 when KL < d_targ / 1.5 (the paper's rule)."""
        target = self.params.algorithm.kl_target
        if kl > 1.5 * target:
            self.kl_weight *= 2.0
        elif kl < target / 1.5:
            self.kl_weight /= 2.0

    def state_dict(self) -> State:
        return super().state_dict() | {KL_WEIGHT: self.kl_weight}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.kl_weight = float(state[KL_WEIGHT])
