"""Seeding of Python's and numpy's generators; each backend seeds its own (torch's) generator."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int) -> np.random.Generator:
    """Seed ``random`` and numpy's legacy global generator; return a fresh Generator for the run."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    return np.random.default_rng(seed)


def derive_seed(seed: int, stream: int) -> int:
    """A distinct, reproducible seed for sub-stream ``stream`` (envs, eval envs, workers)."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])
