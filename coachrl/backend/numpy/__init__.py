"""Inference-only numpy backend: loads weights exported by the torch networks, predicts the same.

At batch sizes of rollouts (1 to a few dozen observations) a numpy forward pass of a small MLP is
several times cheaper than torch's per-call overhead, so acting defaults to this backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.backend import State, Weights
from coachrl.backend.numpy.heads import NUMPY_OPS, FusedOutputs, HeadWeights, linear_weights
from coachrl.backend.numpy.layers import ACTIVATIONS, IN_PLACE_ACTIVATIONS, conv2d
from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.networks.heads import Head, LinearLayer
from coachrl.networks.plan import Layer, input_plans, step_plan, tower_names, tower_of
from coachrl.networks.spec import (
    DictEmbedder,
    LSTMMiddleware,
    NetworkSpec,
    OptimizerSpec,
    VectorEmbedder,
)

FUSED_WIDTH_LIMIT = 256  # widest block-diagonal layer worth fusing (acting batches are small)


@dataclass(slots=True, frozen=True)
class FusedMLP:
    """Every tower and head of an MLP network as one chain of matmuls.

    Separate towers become one wide tower: the first layer's weights side by side, later layers
    block-diagonal, and every head one column range of a single output matrix. At acting batch
    sizes a numpy call costs about a microsecond whatever its size, so a 64-64 actor-critic
    costs 3 matmuls instead of 6 and one output matrix instead of one per head.
    """

    layers: tuple[tuple[NDArray, NDArray, Callable[[NDArray], object] | None], ...]
    heads: tuple[tuple[Head, FusedOutputs], ...]  # each head and its columns of the output

    def __call__(self, observations: NDArray) -> dict[str, NDArray]:
        x = observations
        if x.ndim != 2 or x.dtype != np.float32:
            x = x.reshape(len(x), -1).astype(np.float32, copy=False)
        for weight_t, bias, activate in self.layers:
            x = np.dot(x, weight_t)  # 0.3 us less per call than ``@`` at these sizes
            x += bias
            if activate is not None:
                activate(x)
        out: dict[str, NDArray] = {}
        for head, outputs in self.heads:
            outputs.y = x
            head.forward(NUMPY_OPS, outputs, x, out)
        return out


def _block_diagonal(blocks: list[NDArray]) -> NDArray:
    rows, cols = sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)
    out = np.zeros((rows, cols), dtype=np.float32)
    r = c = 0
    for block in blocks:
        out[r:r + block.shape[0], c:c + block.shape[1]] = block
        r, c = r + block.shape[0], c + block.shape[1]
    return out


def fuse_mlp(spec: NetworkSpec, plan: list[Layer], w: Weights, noise: bool = True,
             hidden: FusedMLP | None = None) -> FusedMLP | None:
    """The ``FusedMLP`` of a vector-input network; None for image networks, heads that read
    their features other than through linear layers, activations without an in-place form, or
    layers too wide to fuse block-diagonally. ``hidden``: a fusion of the same network whose
    hidden layers are still current, so only the output layer is built (new head noise)."""
    if (not isinstance(spec.embedder, VectorEmbedder) or not all(h.fusable for h in spec.heads)
            or spec.recurrent_state_size):
        return None
    towers = tower_names(spec)
    linear = [(i, layer) for i, layer in enumerate(plan) if layer.kind == "linear"]
    layers: list[tuple[NDArray, NDArray, Callable[[NDArray], object] | None]] = (
        list(hidden.layers[:-1]) if hidden is not None else [])
    for position, (index, layer) in enumerate([] if hidden is not None else linear):
        activation = plan[index + 1].activation
        if activation not in IN_PLACE_ACTIVATIONS or layer.size_out * len(towers) > (
                FUSED_WIDTH_LIMIT if len(towers) > 1 else 1 << 30):
            return None
        weights = [np.ascontiguousarray(w[f"towers.{t}.{index}.weight"].T) for t in towers]
        fused = (np.concatenate(weights, axis=1) if position == 0
                 else _block_diagonal(weights))
        bias = np.concatenate([w[f"towers.{t}.{index}.bias"] for t in towers])
        layers.append((fused, bias.astype(np.float32), IN_PLACE_ACTIVATIONS[activation]))
    features = linear[-1][1].size_out if linear else spec.embedder.input_size
    per_tower = features if linear else 0  # without hidden layers every head reads the input
    blocks: list[tuple[int, NDArray, NDArray]] = []  # (tower, weight_t, bias) per output block
    heads: list[tuple[Head, FusedOutputs]] = []
    width = 0
    for head in spec.heads:
        tower = towers.index(tower_of(spec, head.name))
        prefix = f"heads.{head.name}"
        columns: dict[str, tuple[int, int]] = {}
        free: dict[str, NDArray] = {}
        for declared in head.layers():
            if not isinstance(declared, LinearLayer):
                free[declared.name] = w[f"{prefix}.{declared.name}"]
                continue
            if declared.size_in:  # reads something other than the features
                return None
            weight_t, bias = linear_weights(declared, f"{prefix}.{declared.name}", w, noise)
            blocks.append((tower, weight_t, bias))
            columns[declared.name] = (width, width + weight_t.shape[1])
            width += weight_t.shape[1]
        heads.append((head, FusedOutputs(columns, free)))
    out_t = np.zeros(((len(towers) if linear else 1) * features, width), dtype=np.float32)
    out_b = np.zeros(width, dtype=np.float32)
    column = 0
    for tower, weight_t, bias in blocks:
        rows = slice(tower * per_tower, tower * per_tower + features)
        out_t[rows, column:column + weight_t.shape[1]] = weight_t
        out_b[column:column + weight_t.shape[1]] = bias
        column += weight_t.shape[1]
    layers.append((out_t, out_b, None))
    return FusedMLP(tuple(layers), tuple(heads))


def _ensemble_linear(weight: NDArray, bias: NDArray) -> Callable[[NDArray], NDArray]:
    """x [B, in] or [members, B, in] -> [members, B, out] through every member's layer."""
    return lambda x: np.matmul(x, weight) + bias


class NumpyNetwork:
    """Forward pass of a ``NetworkSpec`` in numpy; weights keyed as the torch state dict."""

    def __init__(self, spec: NetworkSpec, *, fuse: bool = True) -> None:
        self.spec = spec
        self.fuse = fuse  # False: always layer by layer (the reference the fused path must equal)
        split = step_plan(spec)
        self.plan, self.cell = split.before, split.cell  # cell: a recurrent tower's LSTM layer
        self.post = split.after  # a recurrent tower's layers on the LSTM's output
        self.weights: Weights = {}
        self._towers: dict[str, list[Callable[[NDArray], NDArray]]] = {}
        self._heads: dict[str, HeadWeights] = {}
        self.noise = True  # noisy layers compute with their noise (``set_noise``)
        self._noisy = [(f"heads.{head.name}.{layer.name}", layer) for head in spec.heads
                       for layer in head.layers() if isinstance(layer, LinearLayer)
                       and layer.noisy]
        self._ensemble: list[Callable[[NDArray], NDArray]] | None = None
        self._fused: FusedMLP | None = None
        # fusions of some heads only (``predict(heads=...)``), built when first asked for
        self._fused_subsets: dict[tuple[str, ...], FusedMLP | None] = {}
        self._cells: list[tuple[NDArray, NDArray, NDArray]] = []  # per tower W_ih^T, W_hh^T, b
        self._post: dict[str, list[Callable[[NDArray], NDArray]]] = {}  # per tower, after h

    def _compile(self) -> None:
        """Resolve the network once per ``set_weights``, so that ``predict`` (called every env
        step) does no name formatting or dict lookups: into a ``FusedMLP`` where it applies,
        else every layer into a closure over its weights."""
        w = self.weights
        if any(head.ensemble_members() for head in self.spec.heads):
            self._ensemble = self._ensemble_steps(w)
            return
        self._fused = fuse_mlp(self.spec, self.plan, w, self.noise) if self.fuse else None
        self._fused_subsets = {}
        if self._fused is not None:
            return
        self._towers = {
            name: [self._step(layer, f"towers.{name}.{index}", w, self.spec)
                   for index, layer in enumerate(self.plan)]
            for name in tower_names(self.spec)
        }
        self._heads = {head.name: HeadWeights(head, w, self.noise) for head in self.spec.heads}
        if self.cell is not None:
            index = len(self.plan)  # the cell follows the per-step layers in the tower
            self._cells = [
                (np.ascontiguousarray(w[f"{key}.weight_ih"].T),
                 np.ascontiguousarray(w[f"{key}.weight_hh"].T),
                 (w[f"{key}.bias_ih"] + w[f"{key}.bias_hh"]).astype(np.float32))
                for key in (f"towers.{name}.{index}" for name in tower_names(self.spec))]
            self._post = {
                name: [self._step(layer, f"towers.{name}.{index + 1 + offset}", w)
                       for offset, layer in enumerate(self.post)]
                for name in tower_names(self.spec)}

    def _ensemble_steps(self, w: Weights) -> list[Callable[[NDArray], NDArray]]:
        """An ensemble of critics (``ActionValueHead``), laid out as the torch
        ``EnsembleModel``: per layer weights [members, in, out], biases [members, 1, out]."""
        steps: list[Callable[[NDArray], NDArray]] = []
        index = 0
        for layer in [*self.plan, Layer("linear")]:  # the output layer closes the list
            if layer.kind == "flatten":
                continue
            if layer.kind == "linear":
                steps.append(_ensemble_linear(w[f"layers.{index}.weight"],
                                              w[f"layers.{index}.bias"]))
            elif layer.kind == "activation":
                steps.append(ACTIVATIONS[layer.activation])
            else:
                raise ConfigError(f"an ensemble of critics cannot hold a {layer.kind!r} layer")
            index += 1
        return steps

    @classmethod
    def _step(cls, layer: Layer, key: str, w: Weights,
              spec: NetworkSpec | None = None) -> Callable[[NDArray], NDArray]:
        if layer.kind == "inputs" and spec is not None and isinstance(spec.embedder,
                                                                      DictEmbedder):
            return cls._dict_inputs(spec.embedder, key, w)
        if layer.kind == "linear":
            weight_t, bias = w[f"{key}.weight"].T, w[f"{key}.bias"]
            return lambda x: x @ weight_t + bias
        if layer.kind == "activation":
            return ACTIVATIONS[layer.activation]
        return lambda x: cls._layer(layer, key, x, w)

    @classmethod
    def _dict_inputs(cls, embedder: DictEmbedder, key: str,
                     w: Weights) -> Callable[[NDArray], NDArray]:
        """Each field of the records through its own embedder, the features concatenated."""
        plans = [(field, [cls._step(layer, f"{key}.inputs.{field}.{index}", w)
                          for index, layer in enumerate(layers)])
                 for field, layers, _ in input_plans(embedder)]

        def run(records: NDArray) -> NDArray:
            features = []
            for field, steps in plans:
                x = np.ascontiguousarray(records[field])
                for step in steps:
                    x = step(x)
                features.append(x)
            return np.concatenate(features, axis=1)

        return run

    def _tower(self, name: str, x: NDArray) -> NDArray:
        for step in self._towers[name]:
            x = step(x)
        return x

    @staticmethod
    def _layer(layer: Layer, key: str, x: NDArray, w: Weights) -> NDArray:
        kind = layer.kind
        if kind == "linear":
            return x @ w[f"{key}.weight"].T + w[f"{key}.bias"]
        if kind == "activation":
            return ACTIVATIONS[layer.activation](x)
        if kind == "flatten":
            return x.reshape(x.shape[0], -1).astype(np.float32, copy=False)
        if kind == "scale_image":
            if not layer.channels_first:
                x = x.transpose(0, 3, 1, 2)
            return x.astype(np.float32) / np.float32(255.0)
        if kind == "conv":
            return conv2d(x, w[f"{key}.weight"], w[f"{key}.bias"], layer.stride)
        raise ValueError(f"unknown layer kind {kind!r}")

    def predict(self, observations: NDArray, state: NDArray | None = None, *,
                heads: tuple[str, ...] | None = None) -> dict[str, NDArray]:
        """Outputs by head for a batch of observations. A recurrent network takes one step of
        every row from ``state`` [B, S] (zeros when None) and returns the state after it as
        ``RECURRENT_STATE``. ``heads``: the outputs the caller reads; a fused MLP then runs
        only the towers and output columns of those heads (acting reads the policy alone: half
        of a separate-tower actor-critic's work)."""
        if not self.weights:
            raise RuntimeError("numpy network has no weights yet; call set_weights first")
        if self._cells:
            return self._recurrent_step(observations, state)
        if self._ensemble is not None:  # inputs [B, observation + action] -> Q [members, B]
            x = observations.astype(np.float32, copy=False)
            for step in self._ensemble:
                x = step(x)
            return {self.spec.heads[0].name: x[..., 0]}
        if self._fused is not None:
            if heads is not None:
                return (self._fused_of(heads) or self._fused)(observations)
            return self._fused(observations)
        features = {name: self._tower(name, observations) for name in tower_names(self.spec)}
        out: dict[str, NDArray] = {}
        for head in self.spec.heads:
            features_of_head = features[tower_of(self.spec, head.name)]
            head.forward(NUMPY_OPS, self._heads[head.name], features_of_head, out)
        return out

    def _recurrent_step(self, observations: NDArray, state: NDArray | None) -> dict[str, NDArray]:
        """One step of the LSTM middleware (``LSTMMiddleware.step``, then the layers after it)
        from ``state``."""
        size = self._cells[0][1].shape[0]
        if state is None:
            state = np.zeros((len(observations), 2 * size * len(self._cells)), np.float32)
        features, states = {}, []
        for k, name in enumerate(tower_names(self.spec)):
            weight_ih_t, weight_hh_t, bias = self._cells[k]
            h, c = state[:, 2 * k * size:(2 * k + 1) * size], state[:, (2 * k + 1) * size:
                                                                     (2 * k + 2) * size]
            x = self._tower(name, observations)
            gates = x @ weight_ih_t + h @ weight_hh_t + bias
            h, c = LSTMMiddleware.step(NUMPY_OPS, gates, c)
            features[name] = h
            for step in self._post[name]:
                features[name] = step(features[name])
            states += [h, c]
        out: dict[str, NDArray] = {}
        for head in self.spec.heads:
            head.forward(NUMPY_OPS, self._heads[head.name],
                         features[tower_of(self.spec, head.name)], out)
        out[B.RECURRENT_STATE] = np.concatenate(states, axis=1).astype(np.float32, copy=False)
        return out

    def _fused_of(self, heads: tuple[str, ...]) -> FusedMLP | None:
        """The fusion of the heads named (and of the towers they read); None where it would
        be the whole network's."""
        if heads not in self._fused_subsets:
            kept = tuple(head for head in self.spec.heads if head.name in heads)
            self._fused_subsets[heads] = (
                fuse_mlp(replace(self.spec, heads=kept), self.plan, self.weights, self.noise)
                if kept and len(kept) < len(self.spec.heads) else None)
        return self._fused_subsets[heads]

    def set_weights(self, weights: Weights) -> None:
        self.weights = dict(weights)
        if self.weights:  # copying a network that has no weights yet leaves this one unset
            self._compile()

    def get_weights(self) -> Weights:
        return dict(self.weights)

    def resample_noise(self, rng: np.random.Generator) -> None:
        """New factorised noise for every noisy layer, drawn as the torch backend draws it."""
        if not self._noisy:
            return
        for key, _ in self._noisy:
            for name in ("noise_in", "noise_out"):
                self.weights[f"{key}.{name}"] = rng.standard_normal(
                    self.weights[f"{key}.{name}"].shape).astype(np.float32)
        if self._fused is not None:  # noisy layers are head layers: re-fuse the output layer
            self._fused = fuse_mlp(self.spec, self.plan, self.weights, self.noise,
                                   hidden=self._fused)
            self._fused_subsets = {}
            return
        self._compile()

    def set_noise(self, enabled: bool) -> None:
        if self._noisy and enabled != self.noise:
            self.noise = enabled
            if self.weights:
                self._compile()

    def copy_to(self, target: Any, tau: float = 1.0) -> None:
        if tau >= 1.0:
            target.set_weights(self.get_weights())
            return
        theirs = target.get_weights()
        target.set_weights({k: tau * v + (1 - tau) * theirs[k] for k, v in self.weights.items()})

    def train_on_batch(self, batch: dict[str, NDArray],
                       **loss_overrides: float) -> dict[str, float]:
        raise NotImplementedError("the numpy backend is inference-only; train with torch's")

    def device_batch(self, batch: dict[str, NDArray]) -> Any:
        raise NotImplementedError("the numpy backend is inference-only")

    def compute_gradients(self, batch: dict[str, NDArray], **loss_overrides: float) -> Weights:
        raise NotImplementedError("the numpy backend is inference-only; use the torch backend")

    def apply_gradients(self, gradients: Weights) -> dict[str, float]:
        raise NotImplementedError("the numpy backend is inference-only")

    def set_learning_rate(self, learning_rate: float) -> None:
        raise NotImplementedError("the numpy backend is inference-only")

    def state_dict(self) -> State:
        return {"weights": {k: np.array(v) for k, v in self.weights.items()}}

    def load_state_dict(self, state: State) -> None:
        self.set_weights(state["weights"])


class NumpyBackend:
    """Builds inference-only ``NumpyNetwork``s; has no random state of its own."""

    name = "numpy"

    def __init__(self, device: str = "cpu", threads: int = 0) -> None:
        del device, threads  # numpy runs on the CPU with its own BLAS threads

    def build(self, spec: NetworkSpec, *, optimizer: OptimizerSpec | None = None) -> NumpyNetwork:
        del optimizer  # inference only
        return NumpyNetwork(spec)

    def seed(self, seed: int) -> None:
        del seed

    def rng_state(self) -> State:
        return {}

    def set_rng_state(self, state: State) -> None:
        del state
