"""Network specs: what to build, independent of the tensor backend that builds it.

A ``NetworkSpec`` is inputs -> embedder -> FC middleware -> heads. Each head names its output in
``predict`` results and carries the loss it is trained with; loss hyperparameters live on the
loss spec (and may be overridden per call, e.g. a scheduled clip range).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coachrl.core.spaces import ObservationSpace


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


@dataclass(slots=True, frozen=True, kw_only=True)
class QLoss:
    """TD regression of Q(s, a) onto targets; Huber (smooth L1) or MSE."""

    kind: str = "huber"  # "huber" or "mse"


@dataclass(slots=True, frozen=True, kw_only=True)
class ValueLoss:
    """MSE of V(s) against returns, optionally clipped around the old values (PPO)."""

    weight: float = 0.5  # coefficient in the total loss
    clip_range: float = 0.0  # 0 disables value clipping


@dataclass(slots=True, frozen=True, kw_only=True)
class ClippedSurrogateLoss:
    """PPO's clipped surrogate objective with an entropy bonus (Schulman et al. 2017)."""

    clip_range: float = 0.2  # epsilon; callers may pass a scheduled value per update
    entropy_weight: float = 0.0  # coefficient of the entropy bonus
    normalize_advantages: bool = True  # per-minibatch advantage normalisation


@dataclass(slots=True, frozen=True, kw_only=True)
class QHead:
    """Q(s, .) for ``n_actions`` discrete actions; output [B, n_actions]."""

    n_actions: int
    name: str = "q"
    loss: QLoss = field(default_factory=QLoss)


@dataclass(slots=True, frozen=True, kw_only=True)
class VHead:
    """State value V(s); output [B]."""

    name: str = "value"
    loss: ValueLoss = field(default_factory=ValueLoss)


@dataclass(slots=True, frozen=True, kw_only=True)
class DiscretePolicyHead:
    """Categorical policy; output logits [B, n_actions]."""

    n_actions: int
    name: str = "policy"
    loss: ClippedSurrogateLoss = field(default_factory=ClippedSurrogateLoss)


@dataclass(slots=True, frozen=True, kw_only=True)
class GaussianPolicyHead:
    """Diagonal Gaussian policy; outputs mean [B, D] and ``{name}_log_std`` [B, D]."""

    action_dim: int
    name: str = "policy"
    state_dependent_std: bool = False  # log-std from the features instead of a free parameter
    initial_log_std: float = 0.0
    loss: ClippedSurrogateLoss = field(default_factory=ClippedSurrogateLoss)

    @property
    def log_std_name(self) -> str:
        return f"{self.name}_log_std"


HeadSpec = QHead | VHead | DiscretePolicyHead | GaussianPolicyHead


@dataclass(slots=True, frozen=True, kw_only=True)
class NetworkSpec:
    """Embedder -> middleware -> heads. With ``separate_towers`` each head gets its own copy."""

    embedder: Embedder
    middleware: FCMiddleware
    heads: tuple[HeadSpec, ...]
    separate_towers: bool = False
    ortho_init: bool = True


@dataclass(slots=True, frozen=True, kw_only=True)
class OptimizerSpec:
    """Adam with optional global gradient-norm clipping."""

    learning_rate: float
    adam_epsilon: float = 1e-5
    max_grad_norm: float = 0.0  # 0 disables clipping


def embedder_for(observation: ObservationSpace) -> Embedder:
    """The default embedder for an observation space: CNN for images, flat vector otherwise."""
    if observation.is_image:
        height, width, channels = observation.shape
        return ImageEmbedder(shape=(height, width, channels))
    return VectorEmbedder(input_size=observation.size)
