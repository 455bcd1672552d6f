"""Backend-neutral network specs: embedders -> middleware -> heads, each head with its loss."""

from coachrl.networks.spec import (
    ActionValueHead,
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    HeadSpec,
    ImageEmbedder,
    NetworkSpec,
    OptimizerSpec,
    QHead,
    QLoss,
    SoftPolicyLoss,
    SoftQLoss,
    SquashedGaussianPolicyHead,
    TemperatureLoss,
    ValueLoss,
    VectorEmbedder,
    VHead,
    action_value_spec,
    embedder_for,
)

__all__ = [
    "ActionValueHead", "ClippedSurrogateLoss", "DiscretePolicyHead", "FCMiddleware",
    "GaussianPolicyHead", "HeadSpec", "ImageEmbedder", "NetworkSpec", "OptimizerSpec", "QHead",
    "QLoss", "SoftPolicyLoss", "SoftQLoss", "SquashedGaussianPolicyHead", "TemperatureLoss",
    "VHead", "ValueLoss", "VectorEmbedder", "action_value_spec", "embedder_for",
]
