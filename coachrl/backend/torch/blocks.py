"""Torch modules of the blocks: towers built from the layer plan, and the heads."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coachrl.backend.torch.heads import TORCH_OPS, HeadModule
from coachrl.backend.torch.taped import (
    FLATTEN,
    LINEAR,
    RELU,
    TANH,
    TapedTower,
    mlp_layers,
    step_kind,
)
from coachrl.networks.plan import (
    Layer,
    input_plans,
    step_plan,
    tower_names,
    tower_of,
    tower_plan,
)
from coachrl.networks.spec import DictEmbedder, LSTMMiddleware, NetworkSpec

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
    if layer.kind == "lstm":
        return nn.LSTMCell(layer.size_in, layer.size_out)
    if layer.kind == "inputs" and spec is not None and isinstance(spec.embedder, DictEmbedder):
        return DictInputs(spec.embedder)
    raise ValueError(f"unknown layer kind {layer.kind!r}")


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
        # (kind, module) pairs, not closures: a deep copy of the model copies these with it;
        # a recurrent tower's LSTM cell is kept apart (``forward_recurrent`` unrolls it), and
        # so are the layers after it (``_post``), which run on its output h
        split = step_plan(spec)
        before = len(split.before)
        modules = {name: list(tower.children()) for name, tower in self.towers.items()}
        self._steps = {name: [(step_kind(module), module) for module in layers[:before]]
                       for name, layers in modules.items()}
        self._post = {name: [(step_kind(module), module) for module in layers[before + 1:]]
                      for name, layers in modules.items()}
        self._cells = [module for tower in self.towers.values() for module in tower.children()
                       if isinstance(module, nn.LSTMCell)]
        self._mlp = {name: None if self._cells else mlp_layers(steps)
                     for name, steps in self._steps.items()}
        if spec.ortho_init:
            self._orthogonal_init()

    def _orthogonal_init(self) -> None:
        for module in self.towers.modules():
            if isinstance(module, nn.Linear | nn.Conv2d):
                nn.init.orthogonal_(module.weight, gain=math.sqrt(2))
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LSTMCell):  # as CleanRL's LSTM agents: gain 1, bias 0
                for weight in (module.weight_ih, module.weight_hh):
                    nn.init.orthogonal_(weight, gain=1.0)
                for bias in (module.bias_ih, module.bias_hh):
                    nn.init.zeros_(bias)
        for head_module in self.heads.values():
            assert isinstance(head_module, HeadModule)
            head_module.initialise()

    def forward(self, observations: torch.Tensor,
                heads: tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
        """Every head's outputs; with ``heads``, only those heads', through their towers alone:
        acting with separate actor and critic towers reads the policy, and the critic's tower is
        not run (a recurrent network runs every tower and head: its state is shared)."""
        if self._cells:  # every row one step from the zero state
            state = observations.new_zeros((len(observations), self.spec.recurrent_state_size),
                                           dtype=torch.float32)
            return self.forward_recurrent(observations, state)[0]
        needed = None if heads is None else {tower_of(self.spec, name) for name in heads}
        features = {name: self._tower(steps, observations) for name, steps in self._steps.items()
                    if needed is None or name in needed}
        return self._heads(features, heads)

    def forward_recurrent(self, observations: torch.Tensor, state: torch.Tensor,
                          starts: torch.Tensor | None = None
                          ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """A recurrent network over ``S = len(state)`` sequences of ``L`` steps.

        Args:
            observations: [S * L, ...] the sequences one after another, each in time order.
            state: [S, towers * 2H] each sequence's state before its first step.
            starts: [S * L] bool, an episode begins at this step: the state is zeroed before it
                (None: no episode begins inside the sequences).

        Returns:
            (outputs [S * L, ...] by head, the state [S, towers * 2H] after the last step).
        """
        sequences = state.shape[0]
        length = len(observations) // sequences
        keep = None if starts is None else (~starts).to(state.dtype).view(sequences, length, 1)
        size = self.spec.middleware.lstm_size if isinstance(self.spec.middleware,
                                                            LSTMMiddleware) else 0
        features, states = {}, []
        for k, (name, steps) in enumerate(self._steps.items()):
            cell = self._cells[k]
            x = self._tower(steps, observations).view(sequences, length, -1)
            gates_x = F.linear(x, cell.weight_ih, cell.bias_ih)  # [S, L, 4H]: one matmul
            h, c = state[:, 2 * k * size:(2 * k + 1) * size], state[:, (2 * k + 1) * size:
                                                                     (2 * k + 2) * size]
            outputs = []
            for t in range(length):
                if keep is not None:
                    h, c = h * keep[:, t], c * keep[:, t]
                gates = gates_x[:, t] + F.linear(h, cell.weight_hh, cell.bias_hh)
                h, c = LSTMMiddleware.step(TORCH_OPS, gates, c)
                outputs.append(h)
            features[name] = self._tower(self._post[name], torch.stack(outputs, dim=1).reshape(
                sequences * length, size))
            states += [h, c]
        return self._heads(features), torch.cat(states, dim=1)

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

    def _heads(self, features: dict[str, torch.Tensor],
               only: tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for head in self.spec.heads:
            if only is None or head.name in only:
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

    def forward(self, inputs: torch.Tensor,
                heads: tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
        """inputs [B, observation + action] -> {head name: Q [critics, B]} (its one head,
        whatever ``heads`` asks)."""
        return {self.head.name: self.layers(inputs).squeeze(-1)}

    def first(self, inputs: torch.Tensor) -> torch.Tensor:
        """Q_1 alone [B]: the first member's layers (TD3's actor loss reads only Q_1, and the
        other members' forward and backward would be half its critic work)."""
        x = inputs
        for module in self.layers:
            if isinstance(module, EnsembleLinear):
                x = torch.addmm(module.bias[0], x, module.weight[0])
            else:
                x = module(x)
        return x.squeeze(-1)


def build_model(spec: NetworkSpec) -> Model | EnsembleModel:
    """The torch module of a spec: a fused ensemble for action-value critics, else a ``Model``."""
    if any(head.ensemble_members() for head in spec.heads):
        if len(spec.heads) != 1:
            raise ValueError("an ensemble head (ActionValueHead) must be the only head of its "
                             "network")
        return EnsembleModel(spec)
    return Model(spec)
