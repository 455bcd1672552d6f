"""Numpy sampling and log-probabilities of the policy distributions used when acting."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

LOG_2PI = float(np.log(2.0 * np.pi))


def log_softmax(logits: NDArray) -> NDArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sample_categorical(logits: NDArray, rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    """One action per row by inverse-CDF sampling; returns (actions [N], log_probs [N])."""
    log_probs = log_softmax(logits.astype(np.float64))
    cdf = np.cumsum(np.exp(log_probs), axis=-1)
    draws = rng.random(len(logits))[:, None] * cdf[:, -1:]
    actions = np.minimum((draws > cdf).sum(axis=-1), logits.shape[-1] - 1)
    return actions.astype(np.int64), log_probs[np.arange(len(actions)), actions].astype(np.float32)


def gaussian_log_prob(actions: NDArray, mean: NDArray, log_std: NDArray) -> NDArray:
    z = (actions - mean) * np.exp(-log_std)
    return (-0.5 * z**2 - log_std - 0.5 * LOG_2PI).sum(axis=-1).astype(np.float32)


def sample_gaussian(mean: NDArray, log_std: NDArray,
                    rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    actions = (mean + np.exp(log_std) * rng.standard_normal(mean.shape)).astype(np.float32)
    return actions, gaussian_log_prob(actions, mean, log_std)
