"""coachrl: reinforcement-learning agents from reusable blocks.

Built on PyTorch, Gymnasium, Ray and TensorBoard. From Python (docs/python_api.md):

    import coachrl
    result = coachrl.train("CartPole_DQN", seed=0)
    policy = coachrl.load(result.run_dir)
    actions = policy.act(observations)
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Policy", "TrainResult", "load", "presets", "train"]


def __getattr__(name: str) -> Any:
    """The Python API, imported on first use: ``import coachrl`` stays light. (Once the built-in
    presets package is imported, ``coachrl.presets`` is that package, which is callable and
    answers the same.)"""
    if name in __all__:
        from coachrl import api

        return getattr(api, name)
    raise AttributeError(f"module 'coachrl' has no attribute {name!r}")
