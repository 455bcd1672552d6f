"""State-value and action-value heads."""

from __future__ import annotations

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
from coachrl.networks.losses import OutputGradientLoss, SoftQLoss, ValueLoss


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class VHead(Head):
    """State value V(s); output [B]."""

    name: str = "value"
    loss: ValueLoss = field(default_factory=ValueLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", 1),)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = ops.squeeze_last(params.linear("linear", features))

    @classmethod
    def example(cls) -> Self:
        return cls()


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class ActionValueHead(Head):
    """Q(s, a) of continuous actions from an ensemble of ``critics`` independent networks.

    The action is an input: the network reads ``[observation, action]`` concatenated (build the
    spec with ``action_value_spec``). Every critic is a whole tower of its own; the backend
    stacks the towers on an ensemble axis and evaluates them together. Output [critics, B].
    """

    fusable = False
    action_dim: int
    critics: int = 2  # twin critics (Fujimoto et al. 2018) take the minimum of two
    name: str = "q"
    loss: SoftQLoss = field(default_factory=SoftQLoss)

    def ensemble_members(self) -> int:
        return self.critics

    def layers(self) -> tuple[HeadLayer, ...]:
        return ()  # the ensemble model owns every layer, its last one included

    @classmethod
    def example(cls) -> Self:
        return cls(action_dim=2)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class EmbeddingHead(Head):
    """A learnt embedding h(s) [B, size] for what the agent does outside the network (NEC's
    dictionary keys); trained by the gradient the agent hands back (``OutputGradientLoss``)."""

    size: int = 64
    name: str = "embedding"
    loss: OutputGradientLoss = field(default_factory=OutputGradientLoss)

    def layers(self) -> tuple[HeadLayer, ...]:
        return (LinearLayer("linear", self.size),)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        out[self.name] = params.linear("linear", features)

    @classmethod
    def example(cls) -> Self:
        return cls(size=5)
