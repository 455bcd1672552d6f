"""Torch modules of the blocks: towers built from the layer plan, and the heads."""

from __future__ import annotations

import math

import torch
from torch import nn

from coachrl.networks.plan import Layer, tower_names, tower_of, tower_plan
from coachrl.networks.spec import (
    DiscretePolicyHead,
    GaussianPolicyHead,
    HeadSpec,
    NetworkSpec,
    QHead,
    VHead,
)

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "gelu": nn.GELU}
HEAD_GAINS = {QHead: 1.0, VHead: 1.0, DiscretePolicyHead: 0.01, GaussianPolicyHead: 0.01}


class ScaleImage(nn.Module):
    """uint8 [B, H, W, C] -> float [B, C, H, W] in [0, 1], so replay stores bytes, not floats."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 3, 1, 2).float().div_(255.0)


def _build_layer(layer: Layer) -> nn.Module:
    if layer.kind == "linear":
        return nn.Linear(layer.size_in, layer.size_out)
    if layer.kind == "conv":
        return nn.Conv2d(layer.size_in, layer.size_out, layer.kernel, layer.stride)
    if layer.kind == "activation":
        return ACTIVATIONS[layer.activation]()
    if layer.kind == "flatten":
        return nn.Flatten()
    if layer.kind == "scale_image":
        return ScaleImage()
    raise ValueError(f"unknown layer kind {layer.kind!r}")


class HeadModule(nn.Module):
    """A linear output layer per head; the Gaussian head adds its log-std."""

    def __init__(self, head: HeadSpec, features: int) -> None:
        super().__init__()
        self.head = head
        if isinstance(head, QHead | DiscretePolicyHead):
            self.linear = nn.Linear(features, head.n_actions)
        elif isinstance(head, VHead):
            self.linear = nn.Linear(features, 1)
        else:
            self.linear = nn.Linear(features, head.action_dim)
            self.log_std: nn.Linear | nn.Parameter = (
                nn.Linear(features, head.action_dim) if head.state_dependent_std
                else nn.Parameter(torch.full((head.action_dim,), head.initial_log_std)))

    def forward(self, features: torch.Tensor, out: dict[str, torch.Tensor]) -> None:
        head = self.head
        value = self.linear(features)
        out[head.name] = value.squeeze(-1) if isinstance(head, VHead) else value
        if isinstance(head, GaussianPolicyHead):
            log_std = self.log_std
            if isinstance(log_std, nn.Linear):
                out[head.log_std_name] = log_std(features).clamp(-20.0, 2.0)
            else:
                out[head.log_std_name] = log_std.expand_as(value)


class Model(nn.Module):
    """Towers (embedder + middleware) and heads of one ``NetworkSpec``."""

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        self.spec = spec
        layers, features = tower_plan(spec)
        self.towers = nn.ModuleDict(
            {name: nn.Sequential(*[_build_layer(layer) for layer in layers])
             for name in tower_names(spec)}
        )
        self.heads = nn.ModuleDict({h.name: HeadModule(h, features) for h in spec.heads})
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
            linear = head_module.linear
            nn.init.orthogonal_(linear.weight, gain=HEAD_GAINS[type(head_module.head)])
            nn.init.zeros_(linear.bias)

    def forward(self, observations: torch.Tensor) -> dict[str, torch.Tensor]:
        features = {name: tower(observations) for name, tower in self.towers.items()}
        out: dict[str, torch.Tensor] = {}
        for head in self.spec.heads:
            self.heads[head.name](features[tower_of(self.spec, head.name)], out)
        return out
