"""Torch modules of the blocks: towers built from the layer plan, and the heads."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

from coachrl.backend.torch import private
from coachrl.networks.heads import Head, LinearLayer
from coachrl.networks.plan import Layer, input_plans, tower_names, tower_of, tower_plan
from coachrl.networks.spec import DictEmbedder, NetworkSpec

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "gelu": nn.GELU}


class ScaleImage(nn.Module):
    """uint8 [B, H, W, C] (or [B, C, H, W]) -> float [B, C, H, W] in [0, 1], so replay stores
    bytes, not floats."""

    def __init__(self, channels_first: bool = False) -> None:
        super().__init__()
        self.channels_first = channels_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.channels_first:
            x = x.permute(0, 3, 1, 2)
        return x.float().div_(255.0)


class DictInputs(nn.Module):
    """The embedders of a Dict observation, one per key, their features concatenated."""

    def __init__(self, embedder: DictEmbedder) -> None:
        super().__init__()
        self.keys = [key for key, _, _ in input_plans(embedder)]
        self.inputs = nn.ModuleDict({
            key: nn.Sequential(*[_build_layer(layer) for layer in layers])
            for key, layers, _ in input_plans(embedder)})

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        return torch.cat([self.inputs[key](x[key]) for key in self.keys], dim=1)


def _build_layer(layer: Layer, spec: NetworkSpec | None = None) -> nn.Module:
    if layer.kind == "linear":
        return nn.Linear(layer.size_in, layer.size_out)
    if layer.kind == "conv":
        return nn.Conv2d(layer.size_in, layer.size_out, layer.kernel, layer.stride)
    if layer.kind == "activation":
        return ACTIVATIONS[layer.activation]()
    if layer.kind == "flatten":
        return nn.Flatten()
    if layer.kind == "scale_image":
        return ScaleImage(layer.channels_first)
    if layer.kind == "inputs" and spec is not None and isinstance(spec.embedder, DictEmbedder):
        return DictInputs(spec.embedder)
    raise ValueError(f"unknown layer kind {layer.kind!r}")


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


LINEAR, TANH, RELU, FLATTEN, MODULE = range(5)  # how ``Model.forward`` runs a tower's layer
NO_ACTIVATION = MODULE  # a taped linear layer with no activation after it


def _step_kind(module: nn.Module) -> int:
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


def _accumulate(linear: nn.Linear, grad: torch.Tensor, inputs: torch.Tensor) -> None:
    """Add a linear layer's parameter gradients, given the gradient of its output."""
    for parameter in (linear.weight, linear.bias):
        if parameter.grad is None:
            parameter.grad = torch.zeros_like(parameter)
    linear.weight.grad.addmm_(grad.t(), inputs)  # type: ignore[union-attr]
    linear.bias.grad.add_(grad.sum(0))  # type: ignore[union-attr]


def _mlp_layers(steps: list[tuple[int, nn.Module]]) -> list[tuple[nn.Linear, int]] | None:
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


class Model(nn.Module):
    """Towers (embedder + middleware) and heads of one ``NetworkSpec``.

    ``forward`` runs the common layers as functional calls (``F.linear``, ``torch.tanh``) rather
    than through ``nn.Module.__call__``, whose hook handling costs more than a 256x64 ``tanh``'s
    dispatch: 60 us less per PPO forward and backward (780 -> 720 us). The modules stay the
    owners of the parameters and of the state-dict names.

    ``forward_taped`` is the training forward: MLP towers and the heads' output layers run
    outside autograd and backpropagate by hand (``TapedTower``); the losses, and whatever else a
    head computes, stay in autograd. At these sizes autograd's bookkeeping costs about as much
    as the arithmetic, and on the CPU torch's ``tanh`` is a scalar loop (43 us for 256x64
    against 7 us for numpy's vectorised one, which the taped forward uses in place): a PPO
    minibatch update went from 1,160 to 990 us (same run).
    """

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        self.spec = spec
        layers, features = tower_plan(spec)
        self.towers = nn.ModuleDict(
            {name: nn.Sequential(*[_build_layer(layer, spec) for layer in layers])
             for name in tower_names(spec)}
        )
        self.heads = nn.ModuleDict({h.name: HeadModule(h, features) for h in spec.heads})
        # (kind, module) pairs, not closures: a deep copy of the model copies these with it
        self._steps = {name: [(_step_kind(module), module) for module in tower.children()]
                       for name, tower in self.towers.items()}
        self._mlp = {name: _mlp_layers(steps) for name, steps in self._steps.items()}
        if spec.ortho_init:
            self._orthogonal_init()

    def _orthogonal_init(self) -> None:
        for module in self.towers.modules():
            if isinstance(module, nn.Linear | nn.Conv2d):
                nn.init.orthogonal_(module.weight, gain=math.sqrt(2))
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        for head_module in self.heads.values():
            assert isinstance(head_module, HeadModule)
            head_module.initialise()

    def forward(self, observations: torch.Tensor) -> dict[str, torch.Tensor]:
        features = {name: self._tower(steps, observations) for name, steps in self._steps.items()}
        return self._heads(features)

    def forward_taped(self, observations: torch.Tensor
                      ) -> tuple[dict[str, torch.Tensor], list[TapedTower]]:
        """``forward`` with MLP towers and their heads' output layers outside autograd: after
        the loss's ``backward``, call each tape's ``backward`` to complete the gradients."""
        tapes = {name: self._taped_tower(layers, observations)
                 for name, layers in self._mlp.items() if layers is not None}
        features = {name: tapes[name].features if name in tapes
                    else self._tower(steps, observations) for name, steps in self._steps.items()}
        out: dict[str, torch.Tensor] = {}
        for head in self.spec.heads:
            tower = tower_of(self.spec, head.name)
            tape = tapes.get(tower)
            self.heads[head.name].forward(features[tower], out,
                                          None if tape is None else tape.heads)
        return out, list(tapes.values())

    def _heads(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for head in self.spec.heads:
            self.heads[head.name].forward(features[tower_of(self.spec, head.name)], out)
        return out

    @staticmethod
    @torch.no_grad()
    def _taped_tower(layers: list[tuple[nn.Linear, int]], x: torch.Tensor) -> TapedTower:
        if x.dim() != 2:
            x = x.flatten(1)
        tape = []
        for linear, activation in layers:
            y = torch.addmm(linear.bias, x, linear.weight.t())
            if activation == TANH:
                if y.device.type == "cpu":
                    np.tanh(y.numpy(), out=y.numpy())
                else:
                    y.tanh_()
            elif activation == RELU:
                y.relu_()
            tape.append((linear, x, y, activation))
            x = y
        return TapedTower(x.requires_grad_(), tape)

    @staticmethod
    def _tower(steps: list[tuple[int, nn.Module]], x: torch.Tensor) -> torch.Tensor:
        for kind, module in steps:
            if kind == LINEAR:
                x = F.linear(x, module.weight, module.bias)  # type: ignore[arg-type]
            elif kind == TANH:
                x = torch.tanh(x)
            elif kind == RELU:
                x = torch.relu(x)
            elif kind != FLATTEN or x.dim() != 2:  # flattening a [B, n] batch is a no-op
                x = module(x)
        return x


class EnsembleLinear(nn.Module):
    """``ensemble`` independent linear layers, weights stacked as [ensemble, in, out].

    One ``baddbmm`` evaluates all members, so an ensemble of critics costs one kernel per layer
    (forward and backward) instead of one per critic. Each member is initialised as
    ``nn.Linear`` would initialise it alone.
    """

    def __init__(self, ensemble: int, size_in: int, size_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(ensemble, size_in, size_out))
        self.bias = nn.Parameter(torch.empty(ensemble, 1, size_out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.shape[1])  # nn.Linear's default: U(-1/sqrt(in), ..)
        with torch.no_grad():
            for member in self.weight:  # [in, out], initialised as nn.Linear's [out, in]
                member.copy_(nn.init.kaiming_uniform_(torch.empty_like(member.T),
                                                      a=math.sqrt(5)).T)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, in] (one input for every member) or [ensemble, B, in] -> [ensemble, B, out]."""
        if x.dim() == 2:
            x = x.expand(self.weight.shape[0], *x.shape)
        if self.weight.shape[2] == 1:
            # a Q output: on the CPU, batched matmul's one-column path costs 3-5x this
            # multiply-and-sum (146 against 30 us forward at [2, 256, 256], 507 against 146 us
            # with the backward)
            return (x * self.weight.transpose(1, 2)).sum(-1, keepdim=True) + self.bias
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleModel(nn.Module):
    """A ``NetworkSpec`` whose head is an ``ActionValueHead``: ``critics`` MLPs over
    [observation, action], fused layer by layer into ``EnsembleLinear``s. Output [critics, B]."""

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        (head,) = spec.heads
        assert head.ensemble_members() > 0
        self.spec, self.head = spec, head
        layers, features = tower_plan(spec)
        modules: list[nn.Module] = []
        members = head.ensemble_members()
        for layer in layers:
            if layer.kind == "linear":
                modules.append(EnsembleLinear(members, layer.size_in, layer.size_out))
            elif layer.kind == "activation":
                modules.append(ACTIVATIONS[layer.activation]())
            elif layer.kind != "flatten":  # inputs are flat already
                raise ValueError(f"an ensemble tower cannot hold a {layer.kind!r} layer")
        modules.append(EnsembleLinear(members, features, 1))
        self.layers = nn.Sequential(*modules)
        if spec.ortho_init:
            for index, module in enumerate(modules):
                if isinstance(module, EnsembleLinear):
                    gain = 1.0 if index == len(modules) - 1 else math.sqrt(2)
                    with torch.no_grad():
                        for member in module.weight:  # [in, out]: orthogonal as [out, in]
                            member.copy_(nn.init.orthogonal_(torch.empty_like(member.T),
                                                             gain=gain).T)
                        module.bias.zero_()

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """inputs [B, observation + action] -> {head name: Q [critics, B]}."""
        return {self.head.name: self.layers(inputs).squeeze(-1)}


def build_model(spec: NetworkSpec) -> Model | EnsembleModel:
    """The torch module of a spec: a fused ensemble for action-value critics, else a ``Model``."""
    if any(head.ensemble_members() for head in spec.heads):
        if len(spec.heads) != 1:
            raise ValueError("an ensemble head (ActionValueHead) must be the only head of its "
                             "network")
        return EnsembleModel(spec)
    return Model(spec)
