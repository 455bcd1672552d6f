"""The layer plan of a tower (embedder + middleware): one list both backends build from.

Building from one plan keeps the torch learner and the numpy inference backend in step: the
i-th layer has the same meaning and the same weight names in both. A Dict observation's tower
starts with one ``inputs`` layer: a plan per key (``input_plans``), run on its field and
concatenated (weights ``towers.{tower}.0.inputs.{key}.{i}``).
"""

from __future__ import annotations

from dataclasses import dataclass

from coachrl.networks.spec import (
    DictEmbedder,
    FCMiddleware,
    ImageEmbedder,
    LSTMMiddleware,
    NetworkSpec,
    VectorEmbedder,
)

NATURE_CNN = ((32, 8, 4), (64, 4, 2), (64, 3, 1))  # (channels, kernel, stride)


@dataclass(slots=True, frozen=True)
class Layer:
    """One layer: kind is linear, conv, activation, flatten, scale_image, inputs or lstm (a
    recurrent middleware's cell, its weights named as torch's ``LSTMCell``)."""

    kind: str
    size_in: int = 0
    size_out: int = 0
    kernel: int = 0
    stride: int = 0
    activation: str = ""
    channels_first: bool = False  # scale_image: the images come [C, H, W]


def _conv_out(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def _mlp(size_in: int, sizes: tuple[int, ...], activation: str) -> list[Layer]:
    layers = []
    for size_out in sizes:
        layers += [Layer("linear", size_in, size_out), Layer("activation", activation=activation)]
        size_in = size_out
    return layers


def embedder_plan(embedder: VectorEmbedder | ImageEmbedder) -> tuple[list[Layer], int]:
    """Layers of one input's embedder and the width of its features."""
    if isinstance(embedder, ImageEmbedder):
        height, width, channels = embedder.height_width_channels
        layers = [Layer("scale_image", channels_first=embedder.channels_first)]
        for out_channels, kernel, stride in NATURE_CNN:
            layers += [Layer("conv", channels, out_channels, kernel, stride),
                       Layer("activation", activation="relu")]
            channels = out_channels
            height, width = _conv_out(height, kernel, stride), _conv_out(width, kernel, stride)
        layers.append(Layer("flatten"))
        return layers, channels * height * width
    layers = [Layer("flatten"), *_mlp(embedder.input_size, embedder.hidden_sizes,
                                      embedder.activation)]
    return layers, embedder.hidden_sizes[-1] if embedder.hidden_sizes else embedder.input_size


def input_plans(embedder: DictEmbedder) -> list[tuple[str, list[Layer], int]]:
    """(key, layers, feature width) of each input of a Dict observation, in order."""
    return [(key, *embedder_plan(sub)) for key, sub in embedder.inputs]


def tower_plan(spec: NetworkSpec) -> tuple[list[Layer], int]:
    """Layers of one tower and the width of its output features."""
    embedder, middleware = spec.embedder, spec.middleware
    layers: list[Layer]
    if isinstance(embedder, DictEmbedder):
        layers = [Layer("inputs")]
        features = sum(width for _, _, width in input_plans(embedder))
    else:
        layers, features = embedder_plan(embedder)
    assert isinstance(middleware, FCMiddleware | LSTMMiddleware)
    layers += _mlp(features, middleware.hidden_sizes, middleware.activation)
    if middleware.hidden_sizes:
        features = middleware.hidden_sizes[-1]
    if isinstance(middleware, LSTMMiddleware):
        layers.append(Layer("lstm", features, middleware.lstm_size))
        layers += _mlp(middleware.lstm_size, middleware.post_sizes, middleware.activation)
        features = middleware.post_sizes[-1] if middleware.post_sizes else middleware.lstm_size
    return layers, features


@dataclass(slots=True, frozen=True)
class StepPlan:
    """A tower's plan around its recurrent layer: ``before`` runs on each step on its own, then
    ``cell`` (None: a feed-forward tower, all of whose layers are ``before``), then ``after`` on
    the cell's output h. Layer i of ``after`` is layer ``len(before) + 1 + i`` of the tower."""

    before: list[Layer]
    cell: Layer | None
    after: list[Layer]


def step_plan(spec: NetworkSpec) -> StepPlan:
    """A tower's plan split at its recurrent layer."""
    layers, _ = tower_plan(spec)
    for index, layer in enumerate(layers):
        if layer.kind == "lstm":
            return StepPlan(layers[:index], layer, layers[index + 1:])
    return StepPlan(layers, None, [])


def tower_names(spec: NetworkSpec) -> list[str]:
    """Tower keys: one shared tower, or one per head."""
    return [head.name for head in spec.heads] if spec.separate_towers else ["shared"]


def tower_of(spec: NetworkSpec, head_name: str) -> str:
    return head_name if spec.separate_towers else "shared"
