"""Head kinds: each module defines head specs that bring their own layers and forward pass.

Importing this package registers every built-in head kind in ``HEADS``.
"""

from coachrl.networks.heads.base import (
    HEADS,
    Distribution,
    Head,
    HeadLayer,
    HeadParams,
    LinearLayer,
    Ops,
    ParameterLayer,
    register_head,
)
from coachrl.networks.heads.distributional import (
    CategoricalQHead,
    ImplicitQuantileHead,
    QuantileQHead,
)
from coachrl.networks.heads.policy import (
    DeterministicPolicyHead,
    DiscretePolicyHead,
    GaussianPolicyHead,
    SquashedGaussianPolicyHead,
)
from coachrl.networks.heads.q import BCQHead, DuelingQHead, QEnsembleHead, QHead
from coachrl.networks.heads.value import ActionValueHead, EmbeddingHead, VHead

__all__ = [
    "HEADS",
    "ActionValueHead",
    "BCQHead",
    "CategoricalQHead",
    "DeterministicPolicyHead",
    "DiscretePolicyHead",
    "Distribution",
    "DuelingQHead",
    "EmbeddingHead",
    "GaussianPolicyHead",
    "Head",
    "HeadLayer",
    "HeadParams",
    "ImplicitQuantileHead",
    "LinearLayer",
    "Ops",
    "ParameterLayer",
    "QEnsembleHead",
    "QHead",
    "QuantileQHead",
    "SquashedGaussianPolicyHead",
    "VHead",
    "register_head",
]
