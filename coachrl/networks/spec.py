"""Network specs: what to build, independent of the tensor backend that builds it.

A ``NetworkSpec`` is inputs -> embedder -> middleware (FC, or FC, an LSTM, FC) -> heads. Each
head (networks/heads/) names its outputs in ``predict`` results and carries the loss spec it is
trained with (networks/losses.py); loss hyperparameters live on the loss spec (and may be
overridden per call, e.g. a scheduled clip range).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from coachrl.core.ops import Ops
from coachrl.core.spaces import ObservationSpace
from coachrl.networks.heads import (
    ActionValueHead,
    BCQHead,
    CategoricalQHead,
    DeterministicPolicyHead,
    DiscretePolicyHead,
    DuelingQHead,
    EmbeddingHead,
    GaussianPolicyHead,
    Head,
    ImplicitQuantileHead,
    QEnsembleHead,
    QHead,
    QuantileQHead,
    SquashedGaussianPolicyHead,
    VHead,
)
from coachrl.networks.losses import (
    ACERPolicyLoss,
    BCQLoss,
    CategoricalQLoss,
    ClippedSurrogateLoss,
    CQLLoss,
    DeterministicPolicyLoss,
    EnsembleQLoss,
    KLPenaltySurrogateLoss,
    OutputGradientLoss,
    PolicyGradientLoss,
    QLoss,
    QuantileHuberLoss,
    Regression,
    SoftPolicyLoss,
    SoftQLoss,
    TemperatureLoss,
    ValueLoss,
)

__all__ = [
    "ACERPolicyLoss",
    "ActionValueHead",
    "BCQHead",
    "BCQLoss",
    "CQLLoss",
    "CategoricalQHead",
    "CategoricalQLoss",
    "ClippedSurrogateLoss",
    "DeterministicPolicyHead",
    "DeterministicPolicyLoss",
    "DictEmbedder",
    "DiscretePolicyHead",
    "DuelingQHead",
    "EmbeddingHead",
    "EnsembleQLoss",
    "FCMiddleware",
    "GaussianPolicyHead",
    "Head",
    "HeadSpec",
    "ImageEmbedder",
    "ImplicitQuantileHead",
    "KLPenaltySurrogateLoss",
    "LSTMMiddleware",
    "Middleware",
    "NetworkSpec",
    "OptimizerSpec",
    "OutputGradientLoss",
    "PolicyGradientLoss",
    "QEnsembleHead",
    "QHead",
    "QLoss",
    "QuantileHuberLoss",
    "QuantileQHead",
    "Regression",
    "SoftPolicyLoss",
    "SoftQLoss",
    "SquashedGaussianPolicyHead",
    "TemperatureLoss",
    "VHead",
    "ValueLoss",
    "VectorEmbedder",
    "action_value_spec",
    "embedder_for",
]


@dataclass(slots=True, frozen=True, kw_only=True)
class VectorEmbedder:
    """Flat float observations, optionally through an MLP of ``hidden_sizes``."""

    input_size: int
    hidden_sizes: tuple[int, ...] = ()
    activation: str = "relu"


@dataclass(slots=True, frozen=True, kw_only=True)
class ImageEmbedder:
    """Nature CNN (Mnih et al. 2015) over uint8 images, scaled to [0, 1] on the fly; the images
    come [H, W, C], or [C, H, W] with ``channels_first``."""

    shape: tuple[int, int, int]  # as the env gives it
    channels_first: bool = False

    @property
    def height_width_channels(self) -> tuple[int, int, int]:
        if self.channels_first:
            channels, height, width = self.shape
            return height, width, channels
        return self.shape


@dataclass(slots=True, frozen=True, kw_only=True)
class DictEmbedder:
    """One embedder per key of a Dict observation (images through a CNN, vectors as they are or
    through an MLP); their features are concatenated in ``inputs`` order into the middleware."""

    inputs: tuple[tuple[str, VectorEmbedder | ImageEmbedder], ...]


Embedder = VectorEmbedder | ImageEmbedder | DictEmbedder


@dataclass(slots=True, frozen=True, kw_only=True)
class FCMiddleware:
    """Fully connected layers between the embedder and the heads."""

    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"


@dataclass(slots=True, frozen=True, kw_only=True)
class LSTMMiddleware:
    """Fully connected layers (``hidden_sizes``, may be empty), then one LSTM layer of
    ``lstm_size`` cells (Hochreiter & Schmidhuber 1997) whose state each env carries from step
    to step of its episode, then fully connected layers on its output (``post_sizes``, may be
    empty; sb3-contrib's ``MlpLstmPolicy`` puts its ``net_arch`` there). All layers use
    ``activation``.

    The network's recurrent state is [B, towers * 2 * lstm_size]: per tower (h, c). ``step`` is
    the cell's one forward, written once against ``Ops``: the torch learner unrolls it over
    sequences, the numpy backend runs it one step per act, so the two cannot drift apart.
    """

    hidden_sizes: tuple[int, ...] = ()
    activation: str = "tanh"
    lstm_size: int = 64
    post_sizes: tuple[int, ...] = ()

    @staticmethod
    def step(ops: Ops, gates: Any, cell: Any) -> tuple[Any, Any]:
        """One LSTM step from its pre-activations ``gates`` [B, 4H] = x W_ih^T + b_ih +
        h W_hh^T + b_hh, in torch's order (input, forget, cell, output), and the cell state
        [B, H]: the new (h, c)."""
        size = cell.shape[-1]
        input_gate = ops.sigmoid(gates[..., :size])
        forget_gate = ops.sigmoid(gates[..., size:2 * size])
        candidate = ops.tanh(gates[..., 2 * size:3 * size])
        output_gate = ops.sigmoid(gates[..., 3 * size:])
        cell = forget_gate * cell + input_gate * candidate
        return output_gate * ops.tanh(cell), cell


Middleware = FCMiddleware | LSTMMiddleware
HeadSpec = Head  # any registered head kind (networks/heads/)


@dataclass(slots=True, frozen=True, kw_only=True)
class NetworkSpec:
    """Embedder -> middleware -> heads. With ``separate_towers`` each head gets its own copy."""

    embedder: Embedder
    middleware: Middleware
    heads: tuple[Head, ...]
    separate_towers: bool = False
    ortho_init: bool = True

    @property
    def recurrent_state_size(self) -> int:
        """Width of the state [B, S] each env carries between steps; 0: not recurrent."""
        if not isinstance(self.middleware, LSTMMiddleware):
            return 0
        towers = len(self.heads) if self.separate_towers else 1
        return towers * 2 * self.middleware.lstm_size


@dataclass(slots=True, frozen=True, kw_only=True)
class OptimizerSpec:
    """Adam with optional global gradient-norm clipping."""

    learning_rate: float
    adam_epsilon: float = 1e-5
    max_grad_norm: float = 0.0  # 0 disables clipping


def action_value_spec(observation: ObservationSpace, head: ActionValueHead, *,
                      middleware: FCMiddleware, ortho_init: bool = False) -> NetworkSpec:
    """A Q(s, a) critic ensemble: its input is a flat observation with the action appended (a
    Dict observation of vectors flattened field by field, as goal envs give them)."""
    if not flat_vectors(observation):
        raise ValueError("action-value critics take vector observations, or Dict ones of "
                         "vectors; images need an embedder before the action joins, which "
                         "this spec does not have")
    return NetworkSpec(embedder=VectorEmbedder(input_size=observation.size + head.action_dim),
                       middleware=middleware, heads=(head,), ortho_init=ortho_init)


def flat_vectors(observation: ObservationSpace) -> bool:
    """Whether the observation flattens to one vector: not an image, nor a Dict with one."""
    if observation.is_dict:
        return all(flat_vectors(space) for _, space in observation.fields)
    return not observation.is_image


def embedder_for(observation: ObservationSpace) -> Embedder:
    """The default embedder for an observation space: CNN for images, the flat vector as it is
    otherwise (the middleware is the MLP), and one of those per key of a Dict observation."""
    if observation.is_dict:
        return DictEmbedder(inputs=tuple(
            (key, cast(VectorEmbedder | ImageEmbedder, embedder_for(space)))
            for key, space in observation.fields))
    if observation.is_image:
        a, b, c = observation.shape
        return ImageEmbedder(shape=(a, b, c), channels_first=observation.channels_first)
    return VectorEmbedder(input_size=observation.size)
