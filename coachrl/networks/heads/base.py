"""What a head kind is: its parameters, its forward pass, its init gain and its default loss.

A head is a frozen dataclass (its spec) whose class also says how to compute it:

- ``layers()`` declares its parameters: ``LinearLayer``s over the tower's features (or over an
  input of its own size) and free ``ParameterLayer``s;
- ``forward(ops, params, features, out)`` writes its outputs into ``out`` by name, using only
  ``params.linear(name, x)``, ``params.parameter(name)`` and the array operations of ``ops``.

Both backends run that one forward (torch with ``torch`` ops, inference with ``numpy`` ops), so
the two cannot drift apart; each backend keeps its fast paths (taped output layers in torch,
one fused output matrix in numpy) by how it implements ``params.linear``. A new head kind is one
module in this package that defines its class and registers it with ``@register_head``; nothing
in backend/ changes. Its loss is chosen by the type of its ``loss`` spec (networks/losses.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Protocol, Self

from coachrl.core.ops import Ops
from coachrl.errors import ConfigError


class Distribution(Enum):
    """What a policy head's outputs parameterise; losses and acting read it, not the class."""

    CATEGORICAL = "categorical"  # logits [B, n]
    GAUSSIAN = "gaussian"  # mean [B, D] and log-std [B, D]
    SQUASHED_GAUSSIAN = "squashed_gaussian"  # tanh of a Gaussian: pre-squash mean and log-std
    DETERMINISTIC = "deterministic"  # the action itself, in [-1, 1]


@dataclass(slots=True, frozen=True)
class LinearLayer:
    """A linear layer of a head. ``size_in`` 0 reads the tower's features; ``size`` 0 outputs
    as many as the features are wide; ``gain`` is the orthogonal-init gain when the network is
    initialised orthogonally (None keeps torch's default init for this layer).

    A ``noisy`` layer (Fortunato et al. 2018) computes with W = mu + sigma * f(e_out) f(e_in)^T
    (f(x) = sign(x) sqrt|x|, factorised noise), mu and sigma learnt, the noise held in the
    network until ``Network.resample_noise`` draws a new one; ``Network.set_noise(False)``
    computes with mu alone (evaluation)."""

    name: str
    size: int
    gain: float | None = 1.0
    size_in: int = 0
    noisy: bool = False  # factorised Gaussian noise on the weights, learnt sigma (NoisyNet)


@dataclass(slots=True, frozen=True)
class ParameterLayer:
    """A free parameter of a head (a state-independent log-std), filled with ``fill``."""

    name: str
    shape: tuple[int, ...]
    fill: float = 0.0


HeadLayer = LinearLayer | ParameterLayer


class HeadParams(Protocol):
    """A head's parameters as its forward sees them."""

    def linear(self, name: str, x: Any) -> Any: ...

    def parameter(self, name: str) -> Any: ...


class Head:
    """Base of head specs (subclasses are frozen dataclasses with ``name`` and ``loss``).

    Class-level facts the backends read instead of the class: ``distribution`` (policy heads),
    ``fusable`` (the forward reads the features only through linear layers, so numpy may
    compute all of them in one matrix product), and ``ensemble_members()`` (above 0: the head is
    a stack of that many whole towers over ``[observation, action]``, built by the backend's
    ensemble model).
    """

    __slots__ = ()
    distribution: ClassVar[Distribution | None] = None
    fusable: ClassVar[bool] = True
    name: str
    loss: Any

    def layers(self) -> tuple[HeadLayer, ...]:
        raise NotImplementedError

    def forward(self, ops: Ops, params: HeadParams, features: Any, out: dict[str, Any]) -> None:
        raise NotImplementedError

    def ensemble_members(self) -> int:
        return 0

    def is_noisy(self) -> bool:
        """Whether any of its layers is a NoisyNet layer."""
        return any(isinstance(layer, LinearLayer) and layer.noisy for layer in self.layers())

    def distribution_outputs(self) -> tuple[str, ...]:
        """The outputs that parameterise the policy distribution, in the losses' order."""
        return (self.name,)

    @classmethod
    def example(cls) -> Self:
        """A small instance, for the tests that walk every registered head."""
        raise NotImplementedError


HEADS: dict[str, type[Head]] = {}


def register_head(cls: type[Head]) -> type[Head]:
    """Class decorator: make a head kind known to the registry (and to the tests walking it)."""
    if cls.__name__ in HEADS and HEADS[cls.__name__] is not cls:
        raise ConfigError(f"a head kind named {cls.__name__!r} is registered already")
    HEADS[cls.__name__] = cls
    return cls
