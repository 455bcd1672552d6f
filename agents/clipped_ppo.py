"""Clipped PPO (Schulman et al. 2017): clipped surrogate, clipped value loss, GAE, entropy bonus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    PolicyOptimizationAgent,
    PolicyOptimizationAlgorithmParams,
    PolicyOptimizationParams,
    policy_head,
)
from coachrl.core.schedules import Constant, Schedule
from coachrl.networks import (
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    GaussianPolicyHead,
    ValueLoss,
    VHead,
)
from coachrl.params.base import NetworkParams
from coachrl.params.check import in_range, non_negative


@dataclass(slots=True, kw_only=True)
class ClippedPPOAlgorithmParams(PolicyOptimizationAlgorithmParams):
    """Defaults: Schulman et al. 2017 (MuJoCo settings), as in Coach's ClippedPPO."""

    clip_range: Schedule = field(default_factory=lambda: Constant(constant=0.2))  # over env steps
    value_clip_range: float = 0.0  # clip V around its old value; 0 disables
    value_weight: float = 0.5  # value-loss coefficient
    entropy_weight: float = 0.0  # entropy-bonus coefficient
    normalize_advantages: bool = True  # per-minibatch advantage normalisation

    def __post_init__(self) -> None:
        PolicyOptimizationAlgorithmParams.__post_init__(self)
        non_negative("value_clip_range", self.value_clip_range)
        non_negative("value_weight", self.value_weight)
        non_negative("entropy_weight", self.entropy_weight)
        in_range("clip_range", self.clip_range.value(0), 0.0, 1.0, low_open=True)


@dataclass(slots=True, kw_only=True)
class ClippedPPOParams(PolicyOptimizationParams):
    """Clipped PPO with separate actor and critic towers by default (as SB3's MlpPolicy)."""

    agent_path: ClassVar[str] = "coachrl.agents.clipped_ppo:ClippedPPOAgent"
    algorithm: ClippedPPOAlgorithmParams = field(default_factory=ClippedPPOAlgorithmParams)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(separate_towers=True))
    max_grad_norm: float = 0.5  # global gradient-norm clip


class ClippedPPOAgent(PolicyOptimizationAgent):
    """PPO-clip actor-critic for discrete and continuous actions."""

    params: ClippedPPOParams

    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]:
        p = self.params.algorithm
        surrogate = ClippedSurrogateLoss(clip_range=p.clip_range.value(0),
                                         entropy_weight=p.entropy_weight,
                                         normalize_advantages=p.normalize_advantages)
        policy = policy_head(self.spaces.action, surrogate)
        value = VHead(loss=ValueLoss(weight=p.value_weight, clip_range=p.value_clip_range))
        return policy, value

    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]:
        clip_range = self.params.algorithm.clip_range.value(step)
        return self.main.train_on_batch(batch, clip_range=clip_range)
