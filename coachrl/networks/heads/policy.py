"""Policy heads: categorical, Gaussian, tanh-squashed Gaussian and deterministic (tanh)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from coachrl.networks.heads.base import (
    Distribution,
    Head,
    HeadLayer,
    HeadParams,
    LinearLayer,
    Ops,
    ParameterLayer,
    register_head,
)
from coachrl.networks.losses import (
    ACERPolicyLoss,
    ClippedSurrogateLoss,
    DeterministicPolicyLoss,
    KLPenaltySurrogateLoss,
    PolicyGradientLoss,
    SoftPolicyLoss,
)

# the losses that train a policy through log pi(a|s) of its own distribution
LikelihoodRatioLoss = (ClippedSurrogateLoss | KLPenaltySurrogateLoss | PolicyGradientLoss
                       | ACERPolicyLoss)

POLICY_GAIN = 0.01  # a near-uniform (near-zero-mean) policy at the start (Andrychowicz et al.)
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class DiscretePolicyHead(Head):
    """Categorical policy; output logits [B, n_actions]."""

    distribution = Distribution.CATEGORICAL
    n_actions: int
    name: str = "policy"
    loss: LikelihoodRatioLoss = field(default_factory=ClippedSurrogateLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.n_actions, gain=POLICY_GAIN),)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = params.linear("linear", features)

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=4)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class GaussianPolicyHead(Head):
    """Diagonal Gaussian policy; outputs mean [B, D] and ``{name}_log_std`` [B, D]."""

    distribution = Distribution.GAUSSIAN
    action_dim: int
    name: str = "policy"
    state_dependent_std: bool = False  # log-std from the features instead of a free parameter
    initial_log_std: float = 0.0
    loss: LikelihoodRatioLoss = field(default_factory=ClippedSurrogateLoss)

    @property
    def log_std_name(self) -> str:
        return f"{self.name}_log_std"

    def distribution_outputs(self) -> tuple[str, ...]:
        return self.name, self.log_std_name

    def layers(self) -> tuple[HeadLayer, ...]:
        mean = LinearLayer("linear", self.action_dim, gain=POLICY_GAIN)
        if self.state_dependent_std:
            return mean, LinearLayer("log_std", self.action_dim, gain=None)
        return mean, ParameterLayer("log_std", (self.action_dim,), self.initial_log_std)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        mean = out[self.name] = params.linear("linear", features)
        if self.state_dependent_std:
            out[self.log_std_name] = ops.clip(params.linear("log_std", features),
                                              LOG_STD_MIN, LOG_STD_MAX)
        else:
            out[self.log_std_name] = ops.expand_as(params.parameter("log_std"), mean)

    @classmethod
    def example(cls) -> Self:
        return cls(action_dim=2, initial_log_std=-0.5)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class SquashedGaussianPolicyHead(Head):
    """tanh of a diagonal Gaussian, so actions lie in [-1, 1]^D (Haarnoja et al. 2018); outputs
    the pre-squash mean [B, D] and ``{name}_log_std`` [B, D], state-dependent and clamped."""

    distribution = Distribution.SQUASHED_GAUSSIAN
    action_dim: int
    name: str = "policy"
    log_std_min: float = LOG_STD_MIN  # clamp of the log-std output
    log_std_max: float = LOG_STD_MAX
    loss: SoftPolicyLoss = field(default_factory=SoftPolicyLoss)

    @property
    def log_std_name(self) -> str:
        return f"{self.name}_log_std"

    def distribution_outputs(self) -> tuple[str, ...]:
        return self.name, self.log_std_name

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.action_dim, gain=POLICY_GAIN),
                LinearLayer("log_std", self.action_dim, gain=None))

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = params.linear("linear", features)
        out[self.log_std_name] = ops.clip(params.linear("log_std", features),
                                          self.log_std_min, self.log_std_max)

    @classmethod
    def example(cls) -> Self:
        return cls(action_dim=2)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class DeterministicPolicyHead(Head):
    """A deterministic continuous policy mu(s) = tanh(W f + b) in [-1, 1]^D (DDPG, TD3); the
    environment wrapper scales it to the action bounds. Output [B, D]."""

    distribution = Distribution.DETERMINISTIC
    action_dim: int
    name: str = "policy"
    loss: DeterministicPolicyLoss = field(default_factory=DeterministicPolicyLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.action_dim, gain=POLICY_GAIN),)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = ops.tanh(params.linear("linear", features))

    @classmethod
    def example(cls) -> Self:
        return cls(action_dim=2)
