"""Network specs: what to build, independent of the tensor backend that builds it.

A ``NetworkSpec`` is inputs -> embedder -> FC middleware -> heads. Each head (networks/heads/)
names its outputs in ``predict`` results and carries the loss spec it is trained with
(networks/losses.py); loss hyperparameters live on the loss spec (and may be overridden per
call, e.g. a scheduled clip range).
"""

from __future__ import annotations

from dataclasses import dataclass

from coachrl.core.spaces import ObservationSpace
from coachrl.networks.heads import (
    ActionValueHead,
    CategoricalQHead,
    DeterministicPolicyHead,
    DiscretePolicyHead,
    DuelingQHead,
    GaussianPolicyHead,
    Head,
    QEnsembleHead,
    QHead,
    QuantileQHead,
    SquashedGaussianPolicyHead,
    VHead,
)
from coachrl.networks.losses import (
    CategoricalQLoss,
    ClippedSurrogateLoss,
    DeterministicPolicyLoss,
    EnsembleQLoss,
    PolicyGradientLoss,
    QLoss,
    QuantileHuberLoss,
    SoftPolicyLoss,
    SoftQLoss,
    TemperatureLoss,
    ValueLoss,
)

__all__ = [
    "ActionValueHead", "CategoricalQHead", "CategoricalQLoss", "ClippedSurrogateLoss",
    "DeterministicPolicyHead", "DeterministicPolicyLoss", "DiscretePolicyHead", "DuelingQHead",
    "EnsembleQLoss", "FCMiddleware", "GaussianPolicyHead", "Head", "HeadSpec", "ImageEmbedder",
    "NetworkSpec", "OptimizerSpec", "PolicyGradientLoss", "QEnsembleHead", "QHead", "QLoss",
    "QuantileHuberLoss", "QuantileQHead", "SoftPolicyLoss", "SoftQLoss",
    "SquashedGaussianPolicyHead", "TemperatureLoss", "VHead", "ValueLoss", "VectorEmbedder",
    "action_value_spec", "embedder_for",
]


@dataclass(slots=True, frozen=True, kw_only=True)
class VectorEmbedder:
    """Flat float observations, optionally through an MLP of ``hidden_sizes``."""

    input_size: int
    hidden_sizes: tuple[int, ...] = ()
    activation: str = "relu"


@dataclass(slots=True, frozen=True, kw_only=True)
class ImageEmbedder:
    """Nature CNN (Mnih et al. 2015) over uint8 images [H, W, C], scaled to [0, 1] on the fly."""

    shape: tuple[int, int, int]  # H, W, C as the env gives it


Embedder = VectorEmbedder | ImageEmbedder


@dataclass(slots=True, frozen=True, kw_only=True)
class FCMiddleware:
    """Fully connected layers between the embedder and the heads."""

    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"


HeadSpec = Head  # any registered head kind (networks/heads/)


@dataclass(slots=True, frozen=True, kw_only=True)
class NetworkSpec:
    """Embedder -> middleware -> heads. With ``separate_towers`` each head gets its own copy."""

    embedder: Embedder
    middleware: FCMiddleware
    heads: tuple[Head, ...]
    separate_towers: bool = False
    ortho_init: bool = True


@dataclass(slots=True, frozen=True, kw_only=True)
class OptimizerSpec:
    """Adam with optional global gradient-norm clipping."""

    learning_rate: float
    adam_epsilon: float = 1e-5
    max_grad_norm: float = 0.0  # 0 disables clipping


def action_value_spec(observation: ObservationSpace, head: ActionValueHead, *,
                      middleware: FCMiddleware, ortho_init: bool = False) -> NetworkSpec:
    """A Q(s, a) critic ensemble: its input is a flat observation with the action appended."""
    if observation.is_image:
        raise ValueError("action-value critics take flat observations; image observations need "
                         "an embedder before the action joins, which this spec does not have")
    return NetworkSpec(embedder=VectorEmbedder(input_size=observation.size + head.action_dim),
                       middleware=middleware, heads=(head,), ortho_init=ortho_init)


def embedder_for(observation: ObservationSpace) -> Embedder:
    """The default embedder for an observation space: CNN for images, flat vector otherwise."""
    if observation.is_image:
        height, width, channels = observation.shape
        return ImageEmbedder(shape=(height, width, channels))
    return VectorEmbedder(input_size=observation.size)
