"""Torch side of the head kinds (coachrl/networks/heads/): the array operations a head's forward
is written against, the parameters it declares as modules (NoisyNet layers included), and the
taped fast path of its linear layers."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

from coachrl.networks.heads import Head, LinearLayer


class TorchOps:
    """The array operations of a head's forward (``coachrl.networks.heads.Ops``) in torch."""

    @staticmethod
    def squeeze_last(x: torch.Tensor) -> torch.Tensor:
        return x.squeeze(-1)

    @staticmethod
    def clip(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
        return x.clamp(low, high)

    @staticmethod
    def expand_as(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return x.expand_as(like)

    @staticmethod
    def tanh(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x)

    @staticmethod
    def relu(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)

    @staticmethod
    def sigmoid(x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x)

    @staticmethod
    def cos(x: torch.Tensor) -> torch.Tensor:
        return torch.cos(x)

    @staticmethod
    def softmax(x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=-1)

    @staticmethod
    def mean(x: torch.Tensor, axis: int, keepdims: bool = False) -> torch.Tensor:
        return x.mean(axis, keepdim=keepdims)

    @staticmethod
    def sum(x: torch.Tensor, axis: int, keepdims: bool = False) -> torch.Tensor:
        return x.sum(axis, keepdim=keepdims)

    @staticmethod
    def reshape(x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        return x.reshape(shape)

    @staticmethod
    def constant(array: NDArray, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(array, dtype=like.dtype, device=like.device)

    @staticmethod
    def transpose(x: torch.Tensor, axes: tuple[int, ...]) -> torch.Tensor:
        return x.permute(axes)

    @staticmethod
    def argmax(x: torch.Tensor) -> torch.Tensor:
        return x.argmax(dim=-1)

    @staticmethod
    def max(x: torch.Tensor, axis: int, keepdims: bool = False) -> torch.Tensor:
        return x.amax(dim=axis, keepdim=keepdims)

    @staticmethod
    def at_least(x: torch.Tensor, y: Any, then: Any, otherwise: Any) -> torch.Tensor:
        return torch.where(x >= y, then, otherwise)

    @staticmethod
    def one_hot(indices: torch.Tensor, count: int) -> torch.Tensor:
        classes = torch.arange(count, device=indices.device)
        return (indices.unsqueeze(-1) == classes).to(torch.float32)

    @staticmethod
    def quantile_fractions(like: torch.Tensor, count: int) -> torch.Tensor:
        """Uniform draws where gradients are recorded (training), midpoints where not."""
        if torch.is_grad_enabled():
            return torch.rand(like.shape[0], count, dtype=like.dtype, device=like.device)
        midpoints = (torch.arange(count, dtype=like.dtype, device=like.device) + 0.5) / count
        return midpoints.expand(like.shape[0], count)


TORCH_OPS = TorchOps()


class _HeadParams:
    """A head's parameters as its forward sees them. With a tape, a linear layer applied to the
    tower's features runs outside autograd: its output is a leaf, recorded with the layer for
    ``TapedTower.backward``; layers over anything else stay in autograd."""

    __slots__ = ("features", "module", "taped")

    def __init__(self, module: HeadModule, features: torch.Tensor,
                 taped: list[tuple[nn.Linear, torch.Tensor]] | None) -> None:
        self.module, self.features, self.taped = module, features, taped

    def linear(self, name: str, x: torch.Tensor) -> torch.Tensor:
        noisy = self.module.noisy.get(name)
        if noisy is not None:  # its weight is a function of mu and sigma: autograd
            return noisy(x)
        layer = self.module.linears[name]
        if self.taped is None or x is not self.features:
            return F.linear(x, layer.weight, layer.bias)
        with torch.no_grad():
            value = torch.addmm(layer.bias, x, layer.weight.t())
        self.taped.append((layer, value.requires_grad_()))
        return value

    def parameter(self, name: str) -> torch.Tensor:
        return self.module.free[name]


def scaled_noise(noise: torch.Tensor) -> torch.Tensor:
    """f(x) = sign(x) sqrt(|x|), the factorised-noise transform of Fortunato et al. 2018."""
    return noise.sign() * noise.abs().sqrt()


class NoisyLinear(nn.Module):
    """A linear layer with factorised Gaussian weight noise (NoisyNet, Fortunato et al. 2018):
    W = mu + sigma * f(e_out) f(e_in)^T and b = mu_b + sigma_b * f(e_out). mu (``weight``,
    ``bias``) starts U(-1/sqrt(in), 1/sqrt(in)) and sigma 0.5/sqrt(in); the noise lives in
    buffers (saved and exported with the weights), replaced by ``resample``."""

    SIGMA_0 = 0.5
    noise_in: torch.Tensor
    noise_out: torch.Tensor

    def __init__(self, size_in: int, size_out: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(size_in)
        self.weight = nn.Parameter(torch.empty(size_out, size_in).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(size_out).uniform_(-bound, bound))
        self.weight_sigma = nn.Parameter(torch.full((size_out, size_in), self.SIGMA_0 * bound))
        self.bias_sigma = nn.Parameter(torch.full((size_out,), self.SIGMA_0 * bound))
        self.register_buffer("noise_in", torch.zeros(size_in))
        self.register_buffer("noise_out", torch.zeros(size_out))
        self.noise_on = True

    def resample(self, noise_in: torch.Tensor, noise_out: torch.Tensor) -> None:
        with torch.no_grad():
            self.noise_in.copy_(noise_in)
            self.noise_out.copy_(noise_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.noise_on:
            return F.linear(x, self.weight, self.bias)
        out_noise = scaled_noise(self.noise_out)
        weight = self.weight + self.weight_sigma * torch.outer(out_noise,
                                                               scaled_noise(self.noise_in))
        return F.linear(x, weight, self.bias + self.bias_sigma * out_noise)


class HeadModule(nn.Module):
    """The parameters a head declares (``head.layers()``), run by the head's own forward.

    Each layer is an attribute named as declared, so the state dict reads
    ``heads.{head}.{layer}.weight`` (linear) or ``heads.{head}.{layer}`` (free parameter).
    """

    def __init__(self, head: Head, features: int) -> None:
        super().__init__()
        self.head = head
        self.linears: dict[str, nn.Linear] = {}
        self.noisy: dict[str, NoisyLinear] = {}
        self.free: dict[str, nn.Parameter] = {}
        for layer in head.layers():
            if isinstance(layer, LinearLayer) and layer.noisy:
                noisy = NoisyLinear(layer.size_in or features, layer.size or features)
                self.add_module(layer.name, noisy)
                self.noisy[layer.name] = noisy
            elif isinstance(layer, LinearLayer):
                module = nn.Linear(layer.size_in or features, layer.size or features)
                self.add_module(layer.name, module)
                self.linears[layer.name] = module
            else:
                parameter = nn.Parameter(torch.full(layer.shape, layer.fill))
                self.register_parameter(layer.name, parameter)
                self.free[layer.name] = parameter

    def initialise(self) -> None:
        """Orthogonal init of the layers that declare a gain; biases zero."""
        for layer in self.head.layers():
            if isinstance(layer, LinearLayer) and layer.gain is not None and not layer.noisy:
                linear = self.linears[layer.name]
                nn.init.orthogonal_(linear.weight, gain=layer.gain)
                nn.init.zeros_(linear.bias)

    def forward(self, features: torch.Tensor, out: dict[str, torch.Tensor],
                taped: list[tuple[nn.Linear, torch.Tensor]] | None = None) -> None:
        """The head's outputs into ``out``. With ``taped``, its linear layers over the features
        run outside autograd (see ``_HeadParams``)."""
        self.head.forward(TORCH_OPS, _HeadParams(self, features, taped), features, out)
