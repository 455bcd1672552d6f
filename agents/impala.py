"""IMPALA (Espeholt et al. 2018): an actor-critic whose rollouts may come from an older policy,
corrected by V-trace. Each rollout is one gradient step: the policy gradient weighted by
rho_t (r_t + gamma v_{t+1} - V(x_t)) and V regressed onto the V-trace targets v_t, both
computed with the learner's current network against the behaviour log-probs that came with
the rollout. With ``--workers N`` (async by default) the actors run ahead on their own copies
and the learner takes their rollouts as they arrive; in one process the behaviour policy is
the learnt one and V-trace reduces to n-step returns."""

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
from coachrl.core import batch as B
from coachrl.core.returns import vtrace
from coachrl.networks import (
    DiscretePolicyHead,
    GaussianPolicyHead,
    PolicyGradientLoss,
    ValueLoss,
    VHead,
)
from coachrl.params import NetworkParams
from coachrl.params.check import non_negative, positive


@dataclass(slots=True, kw_only=True)
class IMPALAAlgorithmParams(PolicyOptimizationAlgorithmParams):
    """Defaults: Espeholt et al. 2018 (20-step rollouts, rho and c clipped at 1, entropy 0.01)."""

    rollout_length: int = 20
    epochs: int = 1
    batch_size: int = WHOLE_ROLLOUT
    rho_clip: float = 1.0  # rho-bar: truncates the importance weight of the TD errors
    c_clip: float = 1.0  # c-bar: truncates the trace
    value_weight: float = 0.5
    entropy_weight: float = 0.01

    def __post_init__(self) -> None:
        PolicyOptimizationAlgorithmParams.__post_init__(self)
        positive("rho_clip", self.rho_clip)
        positive("c_clip", self.c_clip)
        non_negative("value_weight", self.value_weight)
        non_negative("entropy_weight", self.entropy_weight)


@dataclass(slots=True, kw_only=True)
class IMPALAParams(PolicyOptimizationParams):
    """Separate actor and critic towers by default."""

    agent_path: ClassVar[str] = "coachrl.agents.impala:IMPALAAgent"
    algorithm: IMPALAAlgorithmParams = field(default_factory=IMPALAAlgorithmParams)
    network: NetworkParams = field(default_factory=lambda: NetworkParams(separate_towers=True))
    max_grad_norm: float = 40.0


class IMPALAAgent(PolicyOptimizationAgent):
    """The rollout driver with V-trace targets from the learner's current network."""

    params: IMPALAParams

    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]:
        p = self.params.algorithm
        gradient = PolicyGradientLoss(entropy_weight=p.entropy_weight)
        policy = policy_head(self.spaces.action, gradient)
        return policy, VHead(loss=ValueLoss(weight=p.value_weight))

    def corrects_policy_lag(self) -> bool:
        return True

    def finish_rollout(self) -> None:
        """Behaviour log-probs (those that came with the steps, or the acting copy's), then
        V-trace with the learner's current log-probs and values."""
        p, buffer = self.params.algorithm, self.buffer
        assert self._last_observations is not None
        flat = buffer.observations.reshape(-1, *buffer.observations.shape[2:])
        actions = buffer.actions.reshape(-1, *buffer.actions.shape[2:])
        if not buffer.has_behaviour:
            buffer.set_behaviour(**self.behaviour(flat, actions))
        current = self.values_and_log_probs(self.main, flat, actions)  # the learner's own
        shape = buffer.rewards.shape
        last_values = self.main.predict(self._last_observations)[self.value_head.name]
        buffer.returns, buffer.advantages = vtrace(
            behaviour_log_probs=buffer.log_probs,
            target_log_probs=current[B.LOG_PROBS].reshape(shape),
            rewards=buffer.rewards, values=current[B.VALUES].reshape(shape),
            last_values=last_values, terminated=buffer.terminated, dones=buffer.dones,
            discount=p.discount, rho_clip=p.rho_clip, c_clip=p.c_clip)

    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]:
        return self.main.train_on_batch(batch)
