"""Numpy side of the head kinds (coachrl/networks/heads/): the array operations a head's forward
is written against, and its parameters from exported weights, layer by layer or as columns of
the fused output matrix (NoisyNet layers with their noise folded in)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from coachrl.backend import Weights
from coachrl.networks.heads import Head, LinearLayer


class NumpyOps:
    """The array operations of a head's forward (``coachrl.networks.heads.Ops``) in numpy."""

    @staticmethod
    def squeeze_last(x: NDArray) -> NDArray:
        return x[..., 0]

    @staticmethod
    def clip(x: NDArray, low: float, high: float) -> NDArray:
        return np.clip(x, low, high)

    @staticmethod
    def expand_as(x: NDArray, like: NDArray) -> NDArray:
        return np.broadcast_to(x, like.shape)

    @staticmethod
    def tanh(x: NDArray) -> NDArray:
        return np.tanh(x)

    @staticmethod
    def relu(x: NDArray) -> NDArray:
        return np.maximum(x, 0.0)

    @staticmethod
    def sigmoid(x: NDArray) -> NDArray:
        # tanh form: no overflow warning for large negative x, same value as 1 / (1 + e^-x)
        return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(x.dtype, copy=False)

    @staticmethod
    def cos(x: NDArray) -> NDArray:
        return np.cos(x)

    @staticmethod
    def softmax(x: NDArray) -> NDArray:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    @staticmethod
    def mean(x: NDArray, axis: int, keepdims: bool = False) -> NDArray:
        return x.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def sum(x: NDArray, axis: int, keepdims: bool = False) -> NDArray:
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x: NDArray, shape: tuple[int, ...]) -> NDArray:
        return x.reshape(shape)

    @staticmethod
    def constant(array: NDArray, like: NDArray) -> NDArray:
        return np.asarray(array, dtype=like.dtype)

    @staticmethod
    def transpose(x: NDArray, axes: tuple[int, ...]) -> NDArray:
        return x.transpose(axes)

    @staticmethod
    def argmax(x: NDArray) -> NDArray:
        return x.argmax(axis=-1)

    @staticmethod
    def max(x: NDArray, axis: int, keepdims: bool = False) -> NDArray:
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def at_least(x: NDArray, y: NDArray, then: NDArray, otherwise: NDArray) -> NDArray:
        return np.where(x >= y, then, otherwise)

    @staticmethod
    def one_hot(indices: NDArray, count: int) -> NDArray:
        return (indices[..., None] == np.arange(count)).astype(np.float32)

    @staticmethod
    def quantile_fractions(like: NDArray, count: int) -> NDArray:
        """The midpoints: the numpy backend only predicts."""
        midpoints = ((np.arange(count) + 0.5) / count).astype(like.dtype)
        return np.broadcast_to(midpoints, (like.shape[0], count))


NUMPY_OPS = NumpyOps()


def _scaled_noise(noise: NDArray) -> NDArray:
    return np.sign(noise) * np.sqrt(np.abs(noise))


def linear_weights(layer: LinearLayer, key: str, w: Weights,
                   noise: bool = True) -> tuple[NDArray, NDArray]:
    """(W^T, b) of a head's linear layer; a noisy one's with its current noise folded in
    (mu alone without ``noise``)."""
    weight, bias = w[f"{key}.weight"], w[f"{key}.bias"]
    if layer.noisy and noise:
        noise_out = _scaled_noise(w[f"{key}.noise_out"])
        weight = weight + w[f"{key}.weight_sigma"] * np.outer(noise_out,
                                                              _scaled_noise(w[f"{key}.noise_in"]))
        bias = bias + w[f"{key}.bias_sigma"] * noise_out
    return np.ascontiguousarray(weight.T.astype(np.float32)), bias.astype(np.float32)


class HeadWeights:
    """A head's parameters as its forward sees them, from exported weights: each linear layer
    is ``x @ W^T + b`` with ``W^T`` made once per ``set_weights`` (noise folded in)."""

    __slots__ = ("free", "linears")

    def __init__(self, head: Head, w: Weights, noise: bool = True) -> None:
        prefix = f"heads.{head.name}"
        self.linears: dict[str, tuple[NDArray, NDArray]] = {}
        self.free: dict[str, NDArray] = {}
        for layer in head.layers():
            if isinstance(layer, LinearLayer):
                self.linears[layer.name] = linear_weights(layer, f"{prefix}.{layer.name}", w,
                                                          noise)
            else:
                self.free[layer.name] = w[f"{prefix}.{layer.name}"]

    def linear(self, name: str, x: NDArray) -> NDArray:
        weight_t, bias = self.linears[name]
        if x.ndim > 2:  # [B, N, in] (IQN's taus): one 2-D product; numpy's stacked matmul
            # takes its own loop, not BLAS (7.4 s against 0.2 s at B=1000, N=32, 64 -> 256)
            flat = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
            return (flat @ weight_t + bias).reshape(*x.shape[:-1], weight_t.shape[1])
        return x @ weight_t + bias

    def parameter(self, name: str) -> NDArray:
        return self.free[name]


class FusedOutputs:
    """A head's linear layers over the features, read from the one output matrix product of
    ``FusedMLP`` (column ranges, set per call); free parameters as exported."""

    __slots__ = ("columns", "free", "y")

    def __init__(self, columns: dict[str, tuple[int, int]], free: dict[str, NDArray]) -> None:
        self.columns, self.free = columns, free
        self.y: NDArray = np.empty((0, 0), np.float32)

    def linear(self, name: str, x: NDArray) -> NDArray:
        del x  # the tower's features, already multiplied into ``y``
        start, stop = self.columns[name]
        return self.y[:, start:stop]

    def parameter(self, name: str) -> NDArray:
        return self.free[name]
