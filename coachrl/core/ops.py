"""The array operations that code shared by numpy and torch is written against.

A head's forward (networks/heads/) and an exploration policy's greedy action are each written
once against ``Ops``; the numpy backend (acting, the torch-free exported policy) and the torch
backend (training, ONNX export) each implement it, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Protocol

from numpy.typing import NDArray


class Ops(Protocol):
    """The array operations a head's forward may use; numpy and torch each implement them."""

    def squeeze_last(self, x: Any) -> Any: ...

    def clip(self, x: Any, low: float, high: float) -> Any: ...

    def expand_as(self, x: Any, like: Any) -> Any: ...

    def tanh(self, x: Any) -> Any: ...

    def relu(self, x: Any) -> Any: ...

    def sigmoid(self, x: Any) -> Any: ...

    def cos(self, x: Any) -> Any: ...

    def softmax(self, x: Any) -> Any: ...  # over the last axis

    def mean(self, x: Any, axis: int, keepdims: bool = False) -> Any: ...

    def sum(self, x: Any, axis: int, keepdims: bool = False) -> Any: ...

    def reshape(self, x: Any, shape: tuple[int, ...]) -> Any: ...

    def transpose(self, x: Any, axes: tuple[int, ...]) -> Any: ...

    def quantile_fractions(self, like: Any, count: int) -> Any:
        """[B, count] fractions tau in (0, 1) for a batch like ``like`` [B, ...]: uniform draws
        while training, the midpoints (2i + 1) / 2 count when predicting (IQN)."""
        ...

    def constant(self, array: NDArray, like: Any) -> Any: ...  # on like's device, its dtype

    def argmax(self, x: Any) -> Any: ...  # over the last axis; the first of equal maxima

    def max(self, x: Any, axis: int, keepdims: bool = False) -> Any: ...

    def at_least(self, x: Any, y: Any, then: Any, otherwise: Any) -> Any:
        """``then`` where x >= y, else ``otherwise`` (elementwise, broadcast)."""
        ...

    def one_hot(self, indices: Any, count: int) -> Any: ...  # [..., count] float32
