"""Plain-data snapshots of environment objects, for exact resume without pickling.

Every layer of an env (vector env, wrappers, the unwrapped env) is saved as its attributes that
are plain data: numbers, strings, numpy arrays and numpy Generators (as their bit-generator
state). That covers the classic-control and toy envs completely. A MuJoCo env's physics lives
in its ``MjData``, saved as MuJoCo's full integration state (positions, velocities, controls,
warm start), from which its steps continue bit for bit. A layer whose env keeps its state in
an engine of its own (ViZDoom's) may rebuild it from its restored plain data (``Replays``);
an env whose state lives in other objects resumes from a fresh episode instead.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, runtime_checkable

import numpy as np

PLAIN = (bool, int, float, str, type(None), np.generic)
RNG_KEY = "__generator_state__"
PHYSICS_KEY = "__mujoco_integration_state__"


@runtime_checkable
class Replays(Protocol):
    """A layer that rebuilds the state its env keeps outside Python (a game engine's) from its
    own restored attributes, e.g. by replaying the episode's seed and actions."""

    def replay(self) -> None: ...


def _mujoco_data(obj: Any, value: Any) -> Any | None:
    """MuJoCo's module when ``value`` is the MjData of ``obj``'s model, else None. (An env that
    holds one has imported mujoco; a run that never makes one never imports it.)"""
    mujoco = sys.modules.get("mujoco")
    if mujoco is None or not isinstance(value, mujoco.MjData) or not hasattr(obj, "model"):
        return None
    return mujoco


def _physics_state(obj: Any, data: Any, mujoco: Any) -> dict[str, Any]:
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    state = np.empty(mujoco.mj_stateSize(obj.model, spec), dtype=np.float64)
    mujoco.mj_getState(obj.model, data, state, spec)
    return {PHYSICS_KEY: state}


def _layers(env: Any) -> list[Any]:
    layers = [env]
    while hasattr(layers[-1], "env") and layers[-1].env is not layers[-1]:
        layers.append(layers[-1].env)
    return layers


def _attribute_state(obj: Any) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for key, value in vars(obj).items():
        if isinstance(value, np.random.Generator):
            state[key] = {RNG_KEY: value.bit_generator.state}
        elif isinstance(value, np.ndarray) and value.dtype != object:
            state[key] = value.copy()
        elif isinstance(value, PLAIN):
            state[key] = value
        elif (mujoco := _mujoco_data(obj, value)) is not None:
            state[key] = _physics_state(obj, value, mujoco)
    return state


def _restore_attributes(obj: Any, state: dict[str, Any]) -> None:
    for key, value in state.items():
        current = getattr(obj, key, None)
        if isinstance(value, dict) and RNG_KEY in value:
            if not isinstance(current, np.random.Generator):  # an env never reset has none yet
                bit_generator = getattr(np.random, value[RNG_KEY]["bit_generator"])()
                current = np.random.Generator(bit_generator)
                setattr(obj, key, current)
            current.bit_generator.state = value[RNG_KEY]
        elif isinstance(value, dict) and PHYSICS_KEY in value:
            mujoco = _mujoco_data(obj, current)
            assert mujoco is not None, f"a MuJoCo state for {type(obj).__name__}.{key}"
            mujoco.mj_setState(obj.model, current, value[PHYSICS_KEY],
                               mujoco.mjtState.mjSTATE_INTEGRATION)
            mujoco.mj_forward(obj.model, current)  # the derived quantities of that state
        elif isinstance(current, np.ndarray) and isinstance(value, np.ndarray):
            if current.shape == value.shape:
                current[...] = value
            else:
                setattr(obj, key, value.copy())
        else:
            setattr(obj, key, value.copy() if isinstance(value, np.ndarray) else value)


def snapshot(env: Any) -> list[dict[str, Any]]:
    """The plain-data state of each layer of ``env``, outermost first."""
    return [_attribute_state(layer) for layer in _layers(env)]


def restore(env: Any, state: list[dict[str, Any]]) -> None:
    """Write a ``snapshot`` back into an env built the same way."""
    layers = _layers(env)
    if len(layers) != len(state):
        raise ValueError(f"env has {len(layers)} layers but the snapshot has {len(state)}")
    for layer, layer_state in zip(layers, state, strict=True):
        _restore_attributes(layer, layer_state)
    for layer in reversed(layers):  # once every attribute is back, innermost first
        if isinstance(layer, Replays):
            layer.replay()
