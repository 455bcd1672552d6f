"""A3C (Mnih et al. 2016): actor-critic on n-step returns, asynchronous gradients from workers.

One process: each rollout of ``rollout_length`` steps gives one gradient step (as A2C). With
``coachrl train CartPole_A3C --workers N``, each worker computes the gradient of its own rollout
against its copy of the weights (``rollout_gradients``) and the learner applies the gradients
in arrival order (``apply_gradients``), broadcasting the new weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numpy.typing import NDArray

from coachrl.agent import (
    WHOLE_ROLLOUT,
    PolicyOptimizationAgent,
    PolicyOptimizationAlgorithmParams,
    PolicyOptimizationParams,
    policy_head,
)
from coachrl.backend import Weights
from coachrl.networks import (
    DiscretePolicyHead,
    GaussianPolicyHead,
    PolicyGradientLoss,
    ValueLoss,
    VHead,
)
from coachrl.params.check import non_negative


@dataclass(slots=True, kw_only=True)
class A3CAlgorithmParams(PolicyOptimizationAlgorithmParams):
    """Defaults: Mnih et al. 2016 (t_max = 5, entropy 0.01); GAE lambda 1 gives n-step returns."""

    rollout_length: int = 5  # t_max: env steps per env between updates
    gae_lambda: float = 1.0  # 1: the paper's n-step returns; < 1: GAE
    epochs: int = 1  # one gradient step per rollout
    batch_size: int = WHOLE_ROLLOUT  # the whole rollout in one batch
    value_weight: float = 0.5  # value-loss coefficient
    entropy_weight: float = 0.01  # entropy-bonus coefficient

    def __post_init__(self) -> None:
        PolicyOptimizationAlgorithmParams.__post_init__(self)
        non_negative("value_weight", self.value_weight)
        non_negative("entropy_weight", self.entropy_weight)


@dataclass(slots=True, kw_only=True)
class A3CParams(PolicyOptimizationParams):
    """A3C with a shared actor-critic torso (as the paper) and Adam instead of shared RMSProp."""

    agent_path: ClassVar[str] = "coachrl.agents.a3c:A3CAgent"
    algorithm: A3CAlgorithmParams = field(default_factory=A3CAlgorithmParams)
    max_grad_norm: float = 0.5  # global gradient-norm clip


class A3CAgent(PolicyOptimizationAgent):
    """Advantage actor-critic; its policy loss is the policy gradient -A * log pi(a|s)."""

    params: A3CParams

    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]:
        p = self.params.algorithm
        surrogate = PolicyGradientLoss(entropy_weight=p.entropy_weight)
        policy = policy_head(self.spaces.action, surrogate)
        return policy, VHead(loss=ValueLoss(weight=p.value_weight))

    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]:
        return self.main.train_on_batch(batch)

    def rollout_gradients(self) -> Weights:
        """Worker side: n-step advantages of the full rollout buffer and their gradient."""
        return self.main.compute_gradients(self.whole_rollout())

    def apply_gradients(self, gradients: Weights, *, step: int) -> dict[str, float]:
        """Learner side: one optimiser step with a worker's gradients, in arrival order."""
        self.apply_learning_rate(step)
        metrics = self.main.apply_gradients(gradients)
        self.train_steps += 1
        self.sync_acting()
        return metrics
