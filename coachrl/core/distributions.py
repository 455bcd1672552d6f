"""Numpy sampling and log-probabilities of the policy distributions used when acting."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

LOG_2PI = float(np.log(2.0 * np.pi))


def log_softmax(logits: NDArray) -> NDArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def categorical_actions(logits: NDArray, rng: np.random.Generator) -> NDArray:
    """One action per row by the Gumbel-max trick: argmax(logits + Gumbel noise) is an exact
    categorical sample and costs one draw and one argmax (inverse-CDF sampling takes several
    reductions), which matters when it runs once per env step."""
    return (logits + rng.gumbel(size=logits.shape)).argmax(axis=-1)


def categorical_log_prob(logits: NDArray, actions: NDArray) -> NDArray:
    """log pi(a|s) of one action per row, as float32."""
    rows = np.arange(len(actions))
    return log_softmax(logits.astype(np.float64))[rows, actions].astype(np.float32)


def gaussian_log_prob(actions: NDArray, mean: NDArray, log_std: NDArray) -> NDArray:
    z = (actions - mean) * np.exp(-log_std)
    return (-0.5 * z**2 - log_std - 0.5 * LOG_2PI).sum(axis=-1).astype(np.float32)


def gaussian_actions(mean: NDArray, log_std: NDArray, rng: np.random.Generator) -> NDArray:
    return (mean + np.exp(log_std) * rng.standard_normal(mean.shape)).astype(np.float32)
