"""MLP towers run outside autograd and backpropagated by hand: the kind of each step of a tower,
which towers are plain MLPs, and the tape a taped forward leaves for its backward."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from coachrl.backend.torch import private

LINEAR, TANH, RELU, FLATTEN, MODULE = range(5)  # how ``Model.forward`` runs a tower's layer
NO_ACTIVATION = MODULE  # a taped linear layer with no activation after it


def step_kind(module: nn.Module) -> int:
    if isinstance(module, nn.Linear):
        return LINEAR
    if isinstance(module, nn.Tanh):
        return TANH
    if isinstance(module, nn.ReLU):
        return RELU
    if isinstance(module, nn.Flatten):
        return FLATTEN
    return MODULE


@dataclass(slots=True)
class TapedTower:
    """A tower run outside autograd, with what its hand-written backward needs.

    ``layers`` records each linear layer as (linear, input, output, activation). The heads'
    output layers run outside autograd too (``heads``: each layer and its output, a leaf the
    loss backpropagates into); what else a head computes from the features (a Gaussian's
    log-std) backpropagates into ``features``, a leaf as well. ``backward`` then carries both
    down the tower and accumulates into the layers' ``.grad``.
    """

    features: torch.Tensor
    layers: list[tuple[nn.Linear, torch.Tensor, torch.Tensor, int]]
    heads: list[tuple[nn.Linear, torch.Tensor]] = field(default_factory=list)

    @torch.no_grad()
    def backward(self) -> None:
        grad = self.features.grad
        for linear, outputs in self.heads:
            if outputs.grad is not None:
                _accumulate(linear, outputs.grad, self.features)
                grad = (torch.mm(outputs.grad, linear.weight) if grad is None
                        else grad.addmm_(outputs.grad, linear.weight))
        if grad is None:  # no loss read this tower
            return
        for index in range(len(self.layers) - 1, -1, -1):
            linear, inputs, outputs, activation = self.layers[index]
            if activation == TANH:
                grad = private.tanh_backward(grad, outputs)
            elif activation == RELU:
                grad = private.relu_backward(grad, outputs)
            _accumulate(linear, grad, inputs)
            if index > 0:  # observations need no gradient
                grad = torch.mm(grad, linear.weight)


NARROW_INPUTS = 16  # fewer input features: the weight gradient is computed transposed


def _accumulate(linear: nn.Linear, grad: torch.Tensor, inputs: torch.Tensor) -> None:
    """Add a linear layer's parameter gradients, given the gradient of its output. Over few
    inputs the weight's is (inputs^T grad)^T: torch's CPU kernel for grad^T inputs with so narrow
    an output is slower (64 x 4 from 256 rows: 24 us against 9; PPO update 767 -> 743 us)."""
    for parameter in (linear.weight, linear.bias):
        if parameter.grad is None:
            parameter.grad = torch.zeros_like(parameter)
    if inputs.shape[1] < NARROW_INPUTS:
        linear.weight.grad.add_(torch.mm(inputs.t(), grad).t())  # type: ignore[union-attr]
    else:
        linear.weight.grad.addmm_(grad.t(), inputs)  # type: ignore[union-attr]
    linear.bias.grad.add_(grad.sum(0))  # type: ignore[union-attr]


def mlp_layers(steps: list[tuple[int, nn.Module]]) -> list[tuple[nn.Linear, int]] | None:
    """(linear, activation kind after it) for a tower of linear layers, each followed by at most
    one tanh or ReLU; None for any other tower (convolutions, other activations)."""
    layers: list[tuple[nn.Linear, int]] = []
    for kind, module in steps:
        if kind == LINEAR:
            assert isinstance(module, nn.Linear)
            layers.append((module, NO_ACTIVATION))
        elif kind in (TANH, RELU) and layers and layers[-1][1] == NO_ACTIVATION:
            layers[-1] = (layers[-1][0], kind)
        elif kind != FLATTEN:
            return None
    return layers or None
