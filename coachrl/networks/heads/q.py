"""Q-value heads: plain, dueling, and an ensemble of Q heads (Bootstrapped DQN, UCB)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Self

from coachrl.networks.heads.base import (
    Head,
    HeadLayer,
    HeadParams,
    LinearLayer,
    Ops,
    register_head,
)
from coachrl.networks.losses import BCQLoss, EnsembleQLoss, QLoss


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class QHead(Head):
    """Q(s, .) for ``n_actions`` discrete actions; output [B, n_actions]."""

    n_actions: int
    name: str = "q"
    noisy: bool = False  # NoisyNet output layer (exploration by weight noise)
    loss: QLoss = field(default_factory=QLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.n_actions, noisy=self.noisy),)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = params.linear("linear", features)

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=3)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class DuelingQHead(Head):
    """Dueling streams (Wang et al. 2016): Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a'), so the
    value of a state is learnt from every action's update; output [B, n_actions]."""

    n_actions: int
    name: str = "q"
    noisy: bool = False  # NoisyNet streams (Rainbow)
    loss: QLoss = field(default_factory=QLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("value", 1, noisy=self.noisy),
                LinearLayer("advantage", self.n_actions, noisy=self.noisy))

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        advantage = params.linear("advantage", features)
        out[self.name] = params.linear("value", features) + (
            advantage - ops.mean(advantage, axis=-1, keepdims=True))

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=4, noisy=True)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class QEnsembleHead(Head):
    """``members`` Q heads over shared features (Bootstrapped DQN, Osband et al. 2016; UCB over
    Q-ensembles, Chen et al. 2017); output [B, members, n_actions]."""

    n_actions: int
    members: int = 10
    name: str = "q"
    loss: EnsembleQLoss = field(default_factory=EnsembleQLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.members * self.n_actions),)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = ops.reshape(params.linear("linear", features),
                                     (-1, self.members, self.n_actions))

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=3, members=4)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class BCQHead(Head):
    """Discrete BCQ (Fujimoto et al. 2019): Q(s, .) beside an imitation model G(a|s) of the
    data's actions. Outputs, under ``name``, Q of the actions with G(a|s) / max_b G(b|s) >=
    ``threshold`` and ``MASKED`` elsewhere (what acting and the target's argmax read); the
    unmasked Q as ``{name}_raw`` and G's logits as ``{name}_imitation``."""

    n_actions: int
    threshold: float = 0.3  # tau
    name: str = "q"
    loss: BCQLoss = field(default_factory=BCQLoss)
    MASKED = -1e8

    @property
    def raw_name(self) -> str:
        return f"{self.name}_raw"

    @property
    def imitation_name(self) -> str:
        return f"{self.name}_imitation"

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.n_actions), LinearLayer("imitation", self.n_actions))

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        q = out[self.raw_name] = params.linear("linear", features)
        logits = out[self.imitation_name] = params.linear("imitation", features)
        # G(a) / max G >= tau  <=>  logit(a) - max logit >= log tau
        relative = logits - ops.max(logits, -1, keepdims=True)
        out[self.name] = ops.at_least(relative, math.log(self.threshold), q,
                                      q * 0.0 + self.MASKED)

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=3)
