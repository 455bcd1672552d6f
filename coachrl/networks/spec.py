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
class SoftQLoss:
    """Soft Bellman regression of every critic onto one target (Haarnoja et al. 2018):
    ``weight * sum_i MSE(Q_i(s, a), y)``; the target comes precomputed with the batch."""

    weight: float = 0.5  # coefficient of the summed critic losses (0.5: the paper's 1/2 J_Q)


@dataclass(slots=True, frozen=True, kw_only=True)
class SoftPolicyLoss:
    """SAC's policy loss: mean of ``alpha * log pi(a|s) - min_i Q_i(s, a)`` over actions drawn
    with the reparameterisation trick, so the gradient flows through the critics to the policy."""


@dataclass(slots=True, frozen=True, kw_only=True)
class TemperatureLoss:
    """Automatic entropy tuning (Haarnoja et al. 2018b): ``-log(alpha) * (log pi + H_target)``,
    which raises alpha while the policy's entropy is below ``target_entropy``, lowers it above."""

    target_entropy: float  # H_target; -action_dim is the paper's heuristic
    initial_temperature: float = 1.0  # alpha before the first update


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


@dataclass(slots=True, frozen=True, kw_only=True)
class SquashedGaussianPolicyHead:
    """tanh of a diagonal Gaussian, so actions lie in [-1, 1]^D (Haarnoja et al. 2018); outputs
    the pre-squash mean [B, D] and ``{name}_log_std`` [B, D], state-dependent and clamped."""

    action_dim: int
    name: str = "policy"
    log_std_min: float = -20.0  # clamp of the log-std output
    log_std_max: float = 2.0
    loss: SoftPolicyLoss = field(default_factory=SoftPolicyLoss)

    @property
    def log_std_name(self) -> str:
        return f"{self.name}_log_std"


@dataclass(slots=True, frozen=True, kw_only=True)
class ActionValueHead:
    """Q(s, a) of continuous actions from an ensemble of ``critics`` independent networks.

    The action is an input: the network reads ``[observation, action]`` concatenated (build the
    spec with ``action_value_spec``). Every critic is a whole tower of its own; the towers are
    stacked on an ensemble axis and evaluated together. Output [critics, B].
    """

    action_dim: int
    critics: int = 2  # twin critics (Fujimoto et al. 2018) take the minimum of two
    name: str = "q"
    loss: SoftQLoss = field(default_factory=SoftQLoss)


HeadSpec = (QHead | VHead | DiscretePolicyHead | GaussianPolicyHead | SquashedGaussianPolicyHead
            | ActionValueHead)


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
