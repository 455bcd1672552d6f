"""ONNX export of an acting network: observation filter, forward pass and action rule, traced
by torch's exporter into one graph with a dynamic batch axis."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from coachrl.backend import Weights
from coachrl.backend.torch.blocks import build_model
from coachrl.backend.torch.heads import TORCH_OPS, NoisyLinear
from coachrl.core.spaces import ObservationSpace
from coachrl.errors import ExportError
from coachrl.networks.spec import NetworkSpec

Normalize = tuple[NDArray, NDArray, float, float]  # mean, var, epsilon, clip


class ExportedModule(nn.Module):
    """inputs -> (action, *values): the run's normalisation (in float64, as the numpy filter
    computes it) with its statistics as constants, the network with NoisyNet layers at their
    means, then the action rule."""

    def __init__(self, spec: NetworkSpec, weights: Weights, action: Callable[..., Any], *,
                 values: Sequence[str], normalize: Normalize | None,
                 keys: Sequence[str] | None) -> None:
        super().__init__()
        self.model = build_model(spec)
        self.model.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in weights.items()})
        for module in self.model.modules():
            if isinstance(module, NoisyLinear):
                module.noise_on = False
        self.action, self.values, self.keys = action, tuple(values), keys
        self.normalize = normalize is not None
        if normalize is not None:
            mean, var, epsilon, clip = normalize
            self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float64)))
            self.register_buffer("std", torch.as_tensor(np.sqrt(np.asarray(var) + epsilon)))
            self.clip = float(clip)

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x: Any = inputs[0] if self.keys is None else dict(zip(self.keys, inputs, strict=True))
        if self.normalize:
            x = ((x.to(torch.float64) - self.mean) / self.std).clamp(-self.clip, self.clip)
            x = x.to(torch.float32)
        out = self.model(x)
        return (self.action(TORCH_OPS, out), *(out[name] for name in self.values))


def _example(space: ObservationSpace, batch: int) -> torch.Tensor:
    return torch.zeros((batch, *space.shape), dtype=getattr(torch, str(np.dtype(space.dtype))))


def export_onnx(spec: NetworkSpec, weights: Weights, action: Callable[..., Any], *,
                values: Sequence[str], observation: ObservationSpace,
                normalize: Normalize | None, inputs: Sequence[str], outputs: Sequence[str],
                path: Path) -> None:
    """Write the ONNX model of ``ExportedModule`` to ``path``."""
    keys = [key for key, _ in observation.fields] if observation.is_dict else None
    module = ExportedModule(spec, weights, action, values=values, normalize=normalize,
                            keys=keys).eval()
    spaces = [sub for _, sub in observation.fields] if observation.is_dict else [observation]
    examples = tuple(_example(space, 2) for space in spaces)
    batch = torch.export.Dim("batch")
    try:
        quiet = logging.getLogger("torch.onnx")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # not "torchvision is not installed" four times
        with (torch.no_grad(), warnings.catch_warnings(),
              contextlib.redirect_stdout(io.StringIO())):  # the exporter's progress lines
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module, examples, input_names=list(inputs), output_names=list(outputs),
                dynamic_shapes=(tuple({0: batch} for _ in examples),), dynamo=True,
                verbose=False)
            assert program is not None
            program.save(str(path))
    except ImportError as exc:
        raise ExportError(f"ONNX export needs onnx and onnxscript ({exc}); install them with: "
                          "pip install 'coachrl[export]'") from None
    finally:
        quiet.setLevel(level)
