"""Which torch loss trains a head: a registry keyed by the loss spec's type, and the steps
every loss shares (importance weights, advantage normalisation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import torch

from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.networks.heads import Head

Tensors = dict[str, torch.Tensor]


def weighted_mean(values: torch.Tensor, batch: Tensors) -> torch.Tensor:
    """Mean over the batch, weighted by importance weights when the memory supplies them."""
    weights = batch.get(B.WEIGHTS)
    return values.mean() if weights is None else (values * weights).mean()


def weighted_mean_gradient(per_sample: torch.Tensor, batch: Tensors) -> torch.Tensor:
    """d weighted_mean / d per_sample [B]: 1/B, times the importance weights if any."""
    weights = batch.get(B.WEIGHTS)
    scale = 1.0 / len(per_sample)
    if weights is None:
        return torch.full_like(per_sample, scale)
    return weights * scale


def normalize(advantages: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit sample standard deviation (n - 1), as Stable-Baselines3 and CleanRL
    normalise (tests/integration/test_same_work_as_sb3.py)."""
    return (advantages - advantages.mean()) / (advantages.std() + 1e-8)


Loss = Callable[..., tuple[torch.Tensor, "Tensors"]]


@runtime_checkable
class ClosedFormLoss(Protocol):
    """A loss that also knows its gradient with respect to the head's outputs in closed form.

    ``gradient`` returns what ``__call__`` returns plus {output name: dLoss/d out[name]}, all
    computed without autograd; the network then backpropagates those gradients from the
    outputs alone, so autograd never records the loss's elementwise graph (at MLP sizes its
    recording and its backward cost more than the arithmetic). A fast path of ``__call__``,
    tested equal to autograd's gradient of it (tests/unit/backend/test_closed_form_losses.py).
    """

    def __call__(self, out: Tensors, batch: Tensors,
                 **over: float) -> tuple[torch.Tensor, Tensors]: ...

    def gradient(self, out: Tensors, batch: Tensors,
                 **over: float) -> tuple[torch.Tensor, Tensors, Tensors]: ...


LOSSES: dict[type, Callable[[Head], Loss]] = {}


def register_loss(spec_type: type) -> Callable[[Any], Any]:
    """Class decorator: the loss that trains heads whose ``loss`` is a ``spec_type``."""
    def register(cls: Any) -> Any:
        LOSSES[spec_type] = cls
        return cls
    return register


def loss_for(head: Head) -> Loss:
    """The loss the head's loss spec names."""
    factory = LOSSES.get(type(head.loss))
    if factory is None:
        raise ConfigError(
            f"head {head.name!r} carries a {type(head.loss).__name__}, which no torch loss "
            f"implements; registered: {', '.join(sorted(t.__name__ for t in LOSSES))}")
    return factory(head)
