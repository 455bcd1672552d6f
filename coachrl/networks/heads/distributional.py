"""Distributional Q heads: a categorical return distribution on a fixed support (C51) and
quantiles at fixed fractions (QR-DQN). Both output Q(s, .) [B, n_actions] under ``name`` (the
distribution's mean, for acting) beside the distribution itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from coachrl.networks.heads.base import (
    Head,
    HeadLayer,
    HeadParams,
    LinearLayer,
    Ops,
    register_head,
)
from coachrl.networks.losses import CategoricalQLoss, QuantileHuberLoss


def _streams(n_actions: int, size: int, *, noisy: bool,
             dueling: bool) -> tuple[HeadLayer, ...]:
    """The output layers of a per-action distribution of ``size`` numbers: one layer, or a
    value stream and an advantage stream (Wang et al. 2016)."""
    if dueling:
        return (LinearLayer("value", size, noisy=noisy),
                LinearLayer("advantage", n_actions * size, noisy=noisy))
    return (LinearLayer("linear", n_actions * size, noisy=noisy),)


def _per_action(ops: Ops, params: HeadParams, features: Any, n_actions: int, size: int,
                dueling: bool) -> Any:
    """[B, n_actions, size] from the layers of ``_streams``."""
    if not dueling:
        return ops.reshape(params.linear("linear", features), (-1, n_actions, size))
    advantage = ops.reshape(params.linear("advantage", features), (-1, n_actions, size))
    value = ops.reshape(params.linear("value", features), (-1, 1, size))
    return value + (advantage - ops.mean(advantage, axis=1, keepdims=True))


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class CategoricalQHead(Head):
    """C51 (Bellemare et al. 2017): per action, logits over ``atoms`` returns evenly spaced in
    [v_min, v_max]; outputs ``{name}_logits`` [B, n_actions, atoms] and Q [B, n_actions]."""

    n_actions: int
    atoms: int = 51
    v_min: float = -10.0
    v_max: float = 10.0
    name: str = "q"
    noisy: bool = False  # NoisyNet output layers (Rainbow)
    dueling: bool = False  # logits = V(s) + A(s, a) - mean_a A(s, a), per atom (Rainbow)
    loss: CategoricalQLoss = field(default_factory=CategoricalQLoss)

    @property
    def logits_name(self) -> str:
        return f"{self.name}_logits"

    @property
    def support(self) -> NDArray[np.float32]:
        """The returns the atoms stand for, [atoms]."""
        return np.linspace(self.v_min, self.v_max, self.atoms, dtype=np.float32)

    def layers(self) -> tuple[HeadLayer, ...]:
        return _streams(self.n_actions, self.atoms, noisy=self.noisy, dueling=self.dueling)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        logits = _per_action(ops, params, features, self.n_actions, self.atoms, self.dueling)
        out[self.logits_name] = logits
        out[self.name] = ops.sum(ops.softmax(logits) * ops.constant(self.support, logits), -1)

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=3, atoms=11, v_min=-5.0, v_max=5.0, dueling=True)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class QuantileQHead(Head):
    """QR-DQN (Dabney et al. 2018): per action, the return's quantiles at the fractions
    ``taus`` = (2i + 1) / 2N; outputs ``{name}_quantiles`` [B, n_actions, N] and their mean,
    Q [B, n_actions]."""

    n_actions: int
    quantiles: int = 200
    name: str = "q"
    noisy: bool = False  # NoisyNet output layers
    dueling: bool = False  # quantiles = V(s) + A(s, a) - mean_a A(s, a), per fraction
    loss: QuantileHuberLoss = field(default_factory=QuantileHuberLoss)

    @property
    def quantiles_name(self) -> str:
        return f"{self.name}_quantiles"

    @property
    def taus(self) -> NDArray[np.float32]:
        """The quantile fractions, midpoints of N equal bins of [0, 1], [N]."""
        return ((2 * np.arange(self.quantiles) + 1) / (2.0 * self.quantiles)).astype(np.float32)

    def layers(self) -> tuple[HeadLayer, ...]:
        return _streams(self.n_actions, self.quantiles, noisy=self.noisy, dueling=self.dueling)

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        quantiles = _per_action(ops, params, features, self.n_actions, self.quantiles,
                                self.dueling)
        out[self.quantiles_name] = quantiles
        out[self.name] = ops.mean(quantiles, -1)

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=3, quantiles=8)


@register_head
@dataclass(slots=True, frozen=True, kw_only=True)
class ImplicitQuantileHead(Head):
    """IQN (Dabney et al. 2018b): quantiles at sampled fractions tau, each tau embedded as
    relu(W cos(pi i tau)), i < ``embedding_size``, multiplied into the features before the
    output layer. Training draws ``quantiles`` fractions per sample; predicting (acting, the
    target network) uses their midpoints, a quadrature of the same mean. ``hidden_size`` > 0
    puts a ReLU layer between the merge and the output, as the paper's network has (its f).
    Outputs ``{name}_quantiles`` [B, n_actions, N], ``{name}_taus`` [B, N] and Q [B, n_actions]."""

    fusable = False  # the features are multiplied by the tau embedding
    n_actions: int
    quantiles: int = 32  # N (and N' for the targets, K for acting)
    embedding_size: int = 64  # cosines per tau
    hidden_size: int = 0  # a ReLU layer after the merge; 0: the output reads the merge
    name: str = "q"
    loss: QuantileHuberLoss = field(default_factory=QuantileHuberLoss)

    @property
    def quantiles_name(self) -> str:
        return f"{self.name}_quantiles"

    @property
    def taus_name(self) -> str:
        return f"{self.name}_taus"

    def layers(self) -> tuple[HeadLayer, ...]:
        hidden = ((LinearLayer("hidden", self.hidden_size, gain=None),) if self.hidden_size
                  else ())
        return (LinearLayer("embedding", 0, size_in=self.embedding_size, gain=None), *hidden,
                LinearLayer("linear", self.n_actions, size_in=self.hidden_size))

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        taus = ops.quantile_fractions(features, self.quantiles)  # [B, N]
        frequencies = ops.constant(np.pi * np.arange(self.embedding_size), taus)
        embedding = ops.relu(params.linear("embedding",
                                           ops.cos(taus[..., None] * frequencies)))  # [B, N, F]
        merged = features[:, None, :] * embedding  # [B, N, features]
        if self.hidden_size:
            merged = ops.relu(params.linear("hidden", merged))
        quantiles = params.linear("linear", merged)  # [B, N, A]
        out[self.taus_name] = taus
        out[self.quantiles_name] = ops.transpose(quantiles, (0, 2, 1))  # [B, A, N]
        out[self.name] = ops.mean(quantiles, 1)

    @classmethod
    def example(cls) -> Self:
        return cls(n_actions=3, quantiles=6, embedding_size=8, hidden_size=5)
