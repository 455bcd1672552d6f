"""``TorchNetwork``: a ``Model`` plus its optimiser, behind the backend's ``Network`` interface."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from coachrl.backend import State, Weights
from coachrl.backend.torch import private
from coachrl.backend.torch.adam import FlatAdam
from coachrl.backend.torch.blocks import Model, build_model
from coachrl.backend.torch.heads import NoisyLinear
from coachrl.backend.torch.losses import ClosedFormLoss, loss_for
from coachrl.backend.torch.taped import TapedTower
from coachrl.core import batch as B
from coachrl.networks.spec import NetworkSpec, OptimizerSpec


def _to_numpy(tree: Any) -> Any:
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu().numpy().copy()
    if isinstance(tree, dict):
        return {str(k): _to_numpy(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_to_numpy(v) for v in tree]
    return tree


class DeviceBatch(dict[str, Any]):
    """A batch's columns as tensors on the network's device (``TorchNetwork.device_batch``).

    Training takes it as it is, so a batch trained on for several epochs is converted once; a
    loss may keep what it derives from the columns alone in it, under a key of its own
    (``policy_losses``' normalised advantages), and finds it there at the next epoch.
    """


class TorchNetwork:
    """Predicts in inference mode; trains on the sum of its heads' losses with Adam."""

    def __init__(self, spec: NetworkSpec, *, optimizer: OptimizerSpec | None,
                 device: torch.device) -> None:
        self.spec = spec
        self.device = device
        self.model = build_model(spec).to(device)
        self.losses = [loss_for(head) for head in spec.heads]
        # every loss knows its gradient: autograd starts at the heads' outputs (a fast path of
        # autograd through the losses, tested equal to it; False takes the reference path). A
        # recurrent network's outputs are masked sequences, never taped leaves: it keeps
        # autograd (the closed form saves it nothing, and would only move its rounding)
        self.closed_form = (not spec.recurrent_state_size
                            and all(isinstance(loss, ClosedFormLoss) for loss in self.losses))
        self.optimizer_spec = optimizer
        self._parameters: list[torch.Tensor] = list(self.model.parameters())
        self._noisy = [m for m in self.model.modules() if isinstance(m, NoisyLinear)]
        self._flat_parameters, self._flat_grad, self._grad_views = self._flatten()
        # one fused kernel call per step over the flat buffers: at MLP sizes torch.optim.Adam's
        # per-call bookkeeping costs more than its kernel (adam.py; torch.optim where the kernel
        # is missing or broken)
        self.adam: FlatAdam | None = None if optimizer is None else FlatAdam(
            self._parameters, self._flat_parameters, learning_rate=optimizer.learning_rate,
            eps=optimizer.adam_epsilon)

    def _flatten(self) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """Put every parameter, and its gradient, in one contiguous buffer (as views).

        Backward accumulates into gradients that exist in place, so with each ``.grad`` a view
        of one buffer the whole gradient is one tensor: the norm clip is one reduction and one
        multiply, and Adam one fused call over one tensor, instead of one kernel per parameter
        each (at MLP sizes their launch costs exceed the arithmetic).
        """
        parameters = self._parameters
        total = sum(p.numel() for p in parameters)
        flat = torch.empty(total, device=self.device)
        flat_grad = torch.zeros(total, device=self.device)
        views, offset = [], 0
        with torch.no_grad():
            for parameter in parameters:
                size = parameter.numel()
                view = flat[offset:offset + size].view_as(parameter)
                view.copy_(parameter)
                parameter.data = view
                views.append(flat_grad[offset:offset + size].view_as(parameter))
                offset += size
        for parameter, view in zip(parameters, views, strict=True):
            parameter.grad = view
        return flat, flat_grad, views

    def _tensor(self, array: NDArray) -> Any:
        return to_tensor(array, self.device)

    def predict(self, observations: NDArray, state: NDArray | None = None, *,
                heads: tuple[str, ...] | None = None) -> dict[str, NDArray]:
        if not self.spec.recurrent_state_size:
            with torch.inference_mode():
                out = self.model(self._tensor(_single_precision(observations)), heads)
            return {name: value.detach().cpu().numpy() for name, value in out.items()}
        assert isinstance(self.model, Model)
        if state is None:
            state = np.zeros((len(observations), self.spec.recurrent_state_size), np.float32)
        with torch.inference_mode():
            out, after = self.model.forward_recurrent(
                self._tensor(_single_precision(observations)), self._tensor(state))
        result = {name: value.detach().cpu().numpy() for name, value in out.items()}
        result[B.RECURRENT_STATE] = after.cpu().numpy()
        return result

    def device_batch(self, batch: dict[str, NDArray]) -> DeviceBatch:
        return DeviceBatch({key: self._tensor(value) for key, value in batch.items()})

    def train_on_batch(self, batch: dict[str, NDArray] | DeviceBatch,
                       **loss_overrides: float) -> dict[str, float]:
        self._require_optimizer()
        total, metrics = self._backward(batch, loss_overrides)
        return self._step(total, metrics)

    def minimize(self, loss: torch.Tensor, metrics: dict[str, torch.Tensor] | None = None, *,
                 also: Sequence[torch.Tensor] = (), loss_key: str | None = "loss/total",
                 norm_key: str = "optim/grad_norm") -> dict[str, float]:
        """One optimiser step on a loss built outside this network (an update across networks:
        SAC's policy loss through the critics). Its gradient flows into this network's
        parameters and into ``also`` (tensors another optimiser steps; their ``.grad`` is
        replaced) and nowhere else; then the same step as ``train_on_batch``: the global norm
        measured, nothing taken when the loss or the norm is not finite (the result holds
        ``loss/nonfinite``), else the gradient clipped and Adam's step taken. ``metrics`` come
        back as floats in the same host transfer."""
        self._require_optimizer()
        self._zero_grad()
        for tensor in also:
            tensor.grad = None
        loss.backward(inputs=[*self._parameters, *also])
        return self._step(loss, dict(metrics or {}), loss_key=loss_key, norm_key=norm_key)

    def resample_noise(self, rng: np.random.Generator) -> None:
        """New factorised noise for every noisy layer, drawn from ``rng`` (in the order the
        heads declare them: the numpy backend draws the same from the same generator)."""
        for layer in self._noisy:
            noise_in, noise_out = (rng.standard_normal(n).astype(np.float32)
                                   for n in (layer.noise_in.numel(), layer.noise_out.numel()))
            layer.resample(torch.as_tensor(noise_in, device=self.device),
                           torch.as_tensor(noise_out, device=self.device))

    def set_noise(self, enabled: bool) -> None:
        """Noisy layers compute with their noise (exploring, training) or with mu alone."""
        for layer in self._noisy:
            layer.noise_on = enabled

    def _require_optimizer(self) -> None:
        if self.adam is None:
            raise RuntimeError("this network was built without an optimizer; it cannot train")

    def _step(self, total: torch.Tensor, metrics: dict[str, torch.Tensor], *,
              loss_key: str | None = "loss/total",
              norm_key: str = "optim/grad_norm") -> dict[str, float]:
        """With the gradient in the buffer: its norm, the NaN guard, the clip and Adam's step."""
        grad_norm = self._grad_norm()
        # one host transfer for every metric; it also tells whether the step is safe to take
        values = torch.stack([*metrics.values(), total.detach(), grad_norm]).cpu().tolist()
        *head_values, total_value, norm_value = values
        result = dict(zip(metrics, head_values, strict=True))
        if not (math.isfinite(total_value) and math.isfinite(norm_value)):
            self._zero_grad()  # skip the update; the caller counts the strike
            return {"loss/nonfinite": 1.0, **result}
        self._clipped_step(norm_value)
        if loss_key is not None:
            result[loss_key] = total_value
        result[norm_key] = norm_value
        return result

    def _backward(self, batch: dict[str, NDArray] | DeviceBatch,
                  loss_overrides: dict[str, float]
                  ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The sum of the heads' losses on ``batch`` and each loss as a metric, with the
        gradient of the sum in the (zeroed) gradient buffer."""
        tensors: dict[str, Any] = (batch if isinstance(batch, DeviceBatch)
                                   else self.device_batch(batch))
        tapes: list[TapedTower]
        if self.spec.recurrent_state_size:
            out, tensors, tapes = self._sequence_outputs(tensors), self._trained_rows(tensors), []
        elif isinstance(self.model, Model):
            out, tapes = self.model.forward_taped(tensors["observations"])
        else:
            out, tapes = self.model(tensors["observations"]), []
        total: torch.Tensor | None = None
        metrics: dict[str, torch.Tensor] = {}
        outputs: list[torch.Tensor] = []
        output_grads: list[torch.Tensor] = []
        for head, loss_fn in zip(self.spec.heads, self.losses, strict=True):
            if self.closed_form:
                with torch.no_grad():
                    loss, extra, grads = loss_fn.gradient(  # type: ignore[attr-defined]
                        out, tensors, **loss_overrides)
                outputs += [out[name] for name in grads]
                output_grads += grads.values()
            else:
                loss, extra = loss_fn(out, tensors, **loss_overrides)
            total = loss if total is None else total + loss
            metrics[f"loss/{head.name}"] = loss.detach()
            metrics.update({f"{head.name}/{k}": v for k, v in extra.items()})
        assert total is not None  # a spec has at least one head
        self._zero_grad()
        if self.closed_form:
            _backward_from_outputs(outputs, output_grads)
        else:
            total.backward()
        for tape in tapes:
            tape.backward()
        return total, metrics

    def _sequence_outputs(self, tensors: dict[str, Any]) -> dict[str, torch.Tensor]:
        """A recurrent network's outputs on a batch of sequences (``RolloutBuffer.sequences``):
        unrolled from each sequence's stored state, zeroed where episodes begin, and kept only
        at the steps the loss reads (``LOSS_MASK``: not burn-in, padding or autoreset steps)."""
        assert isinstance(self.model, Model)
        out, _ = self.model.forward_recurrent(tensors[B.OBSERVATIONS], tensors[B.RECURRENT_STATE],
                                              tensors[B.EPISODE_STARTS])
        mask = tensors[B.LOSS_MASK]
        return {name: value[mask] for name, value in out.items()}

    @staticmethod
    def _trained_rows(tensors: dict[str, Any]) -> dict[str, Any]:
        """The loss's columns at the steps it reads (``LOSS_MASK``)."""
        mask = tensors[B.LOSS_MASK]
        sequence = (B.OBSERVATIONS, B.RECURRENT_STATE, B.EPISODE_STARTS, B.LOSS_MASK)
        return {key: value[mask] for key, value in tensors.items() if key not in sequence}

    def _zero_grad(self) -> None:
        """Zero the gradient buffer, every ``.grad`` a view of it again (code that assigned a
        gradient of its own, or cleared one, is undone)."""
        self._flat_grad.zero_()
        for parameter, view in zip(self._parameters, self._grad_views, strict=True):
            if parameter.grad is not view:
                parameter.grad = view

    def _grad_norm(self) -> torch.Tensor:
        """The global L2 norm of the gradient, before clipping."""
        return torch.linalg.vector_norm(self._flat_grad)

    def _clipped_step(self, grad_norm: float) -> None:
        """Scale the gradient to the spec's global norm, given its norm (which the caller has
        brought to the host with its metrics), and take Adam's step."""
        max_norm = self.optimizer_spec.max_grad_norm if self.optimizer_spec else 0.0
        scale = max_norm / (grad_norm + 1e-6)
        if max_norm > 0 and scale < 1.0:
            self._flat_grad.mul_(scale)
        self._adam_step()

    def _adam_step(self) -> None:
        assert self.adam is not None
        self.adam.step(self._flat_grad)

    def compute_gradients(self, batch: dict[str, NDArray] | DeviceBatch,
                          **loss_overrides: float) -> Weights:
        """Gradients of the summed head losses, by parameter name; no optimiser step (A3C)."""
        self._backward(batch, loss_overrides)
        return {name: view.cpu().numpy().copy() for (name, _), view
                in zip(self.model.named_parameters(), self._grad_views, strict=True)}

    def apply_gradients(self, gradients: Weights) -> dict[str, float]:
        """One optimiser step with gradients computed elsewhere, clipped as ``train_on_batch``."""
        self._require_optimizer()
        self._zero_grad()
        with torch.no_grad():
            for name, parameter in self.model.named_parameters():
                assert parameter.grad is not None  # a view of the gradient buffer
                # gradients arriving from Ray are read-only arrays, which torch will not wrap
                parameter.grad.copy_(torch.from_numpy(np.array(gradients[name], np.float32)))
        grad_norm = float(self._grad_norm())
        if not math.isfinite(grad_norm):
            self._zero_grad()
            return {"loss/nonfinite": 1.0}
        self._clipped_step(grad_norm)
        return {"optim/grad_norm": grad_norm}

    def get_weights(self) -> Weights:
        # copies: on the CPU .numpy() would share memory with the live parameters
        return {k: v.detach().cpu().numpy().copy() for k, v in self.model.state_dict().items()}

    def set_weights(self, weights: Weights) -> None:
        with torch.no_grad():
            for key, tensor in self.model.state_dict().items():
                tensor.copy_(torch.as_tensor(weights[key]))

    def copy_to(self, target: Any, tau: float = 1.0) -> None:
        if not isinstance(target, TorchNetwork):
            target.set_weights(self.get_weights())
            return
        with torch.no_grad():
            source: list[torch.Tensor] = list(self.model.parameters())
            dest: list[torch.Tensor] = list(target.model.parameters())
            if tau >= 1.0:
                private.copy_all(dest, source)
            else:
                private.lerp_all(dest, source, tau)

    def set_learning_rate(self, learning_rate: float) -> None:
        if self.adam is not None:
            self.adam.set_learning_rate(learning_rate)

    def state_dict(self) -> State:
        state: State = {"weights": {k: v.copy() for k, v in self.get_weights().items()}}
        if self.adam is not None:
            opt = self.adam.state_dict()
            state["optimizer"] = {
                "state": _to_numpy(opt["state"]),
                "param_groups": _to_numpy(opt["param_groups"]),
            }
        return state

    def load_state_dict(self, state: State) -> None:
        self.set_weights(state["weights"])
        if self.adam is not None and "optimizer" in state:
            self.adam.load_state_dict(state["optimizer"])


def _taped_leaf(output: torch.Tensor) -> torch.Tensor | None:
    """The leaf a head output is, or is a same-size view of (a taped layer's output, squeezed
    or reshaped), where its gradient can be given directly; None where autograd must carry it
    (an output computed from the leaves: dueling, log-std, noisy layers)."""
    if output.grad_fn is None:
        return output if output.requires_grad else None
    base = getattr(output, "_base", None)  # a view's base (an attribute torch keeps internal)
    if (base is not None and base.grad_fn is None and base.requires_grad
            and base.numel() == output.numel() and base.is_contiguous()
            and output.is_contiguous()):
        return base
    return None


def _backward_from_outputs(outputs: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
    """Backpropagate d loss / d output given for each output. A taped output is a leaf: its
    gradient is its ``.grad`` (the taped tower carries it on), with no call into the autograd
    engine, whose start-up costs about as much as a 64-row Huber loss's whole backward; the
    others go through autograd in one call."""
    through_autograd: tuple[list[torch.Tensor], list[torch.Tensor]] = ([], [])
    for output, grad in zip(outputs, grads, strict=True):
        leaf = _taped_leaf(output)
        if leaf is None:
            through_autograd[0].append(output)
            through_autograd[1].append(grad)
        else:
            grad = grad.reshape(leaf.shape)
            if leaf.grad is None:
                leaf.grad = grad
            else:  # a parameter's gradient is a view of the network's buffer: add in place
                leaf.grad.add_(grad)
    if through_autograd[0]:
        torch.autograd.backward(*through_autograd)


def to_tensor(array: NDArray, device: torch.device) -> Any:
    """A tensor on ``device``; Dict observations (records) become a dict of tensors, a field
    per key in the record's order."""
    if array.dtype.names:
        return {key: torch.as_tensor(np.ascontiguousarray(array[key]), device=device)
                for key in array.dtype.names}
    if not array.flags.writeable:  # Ray's zero-copy arrays: a tensor must own writable memory
        array = array.copy()
    return torch.as_tensor(array, device=device)


def _single_precision(observations: NDArray) -> NDArray:
    """Observations an env gave as float64 (MuJoCo's, straight from Gymnasium) in the network's
    float32, as the env adapter stores them; the numpy backend computes either."""
    return observations.astype(np.float32) if observations.dtype == np.float64 else observations
