"""Backend-neutral network specs: embedders -> middleware -> heads, each head with its loss."""

from coachrl.networks.spec import (
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
    ValueLoss,
    VectorEmbedder,
    VHead,
    embedder_for,
)

__all__ = [
    "ClippedSurrogateLoss", "DiscretePolicyHead", "FCMiddleware", "GaussianPolicyHead", "HeadSpec",
    "ImageEmbedder", "NetworkSpec", "OptimizerSpec", "QHead", "QLoss", "VHead", "ValueLoss",
    "VectorEmbedder", "embedder_for",
]
