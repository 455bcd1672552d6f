"""Plain-data snapshots of environment objects, for exact resume without pickling.

Every layer of an env (vector env, wrappers, the unwrapped env) is saved as its attributes that
are plain data: numbers, strings, numpy arrays and numpy Generators (as their bit-generator
state). That covers the classic-control and toy envs completely. A MuJoCo env's physics lives
in its ``MjData``, saved as MuJoCo's full integration state (positions, velocities, controls,
warm start), from which its steps continue bit for bit. An Atari game is ALE's own state with
its random generator, and a frame stack's queue and the max-pool's two buffers their frames.
A Box2D env's world and bodies are neither: ``ReplayFromReset`` keeps the plain-data state it
reset from and the actions since, and a restore replays them (Box2D's envs build a new world at
each reset, so the replay is exact). PyBullet's envs (a physics client restored to the world as
loaded at each reset) and DeepMind Control's through Shimmy (a physics reset, then the task's
legacy ``RandomState``, which ``np_random`` exposes and a snapshot saves) replay alike. A layer
whose env keeps its state in an engine of its own (ViZDoom's) may rebuild it from its restored
plain data (``Replays``). An env whose state lives in other objects resumes from a fresh
episode instead.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Any, Protocol, SupportsFloat, runtime_checkable

import gymnasium as gym
import numpy as np

PLAIN = (bool, int, float, str, type(None), np.generic)
RNG_KEY = "__generator_state__"
LEGACY_RNG_KEY = "__random_state__"
PHYSICS_KEY = "__mujoco_integration_state__"
ALE_KEY = "__ale_state__"
FRAMES_KEY = "__frame_queue__"


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


def _ale(value: Any) -> Any | None:
    """ale_py's module when ``value`` is an ALE interface, else None (as ``_mujoco_data``)."""
    ale_py = sys.modules.get("ale_py")
    if ale_py is None or not isinstance(value, ale_py.ALEInterface):
        return None
    return ale_py


def _ale_state(ale: Any) -> dict[str, Any]:
    # include_rng: the generator of sticky actions, so that the resumed game repeats alike
    encoded = ale.cloneState(include_rng=True).__getstate__()  # bytes, ALEState's pickle state
    return {ALE_KEY: np.frombuffer(encoded, dtype=np.uint8).copy()}


def _restore_ale(ale_py: Any, ale: Any, encoded: np.ndarray) -> None:
    state = ale_py.ALEState.__new__(ale_py.ALEState)  # as unpickling builds one
    state.__setstate__(encoded.tobytes())
    ale.restoreState(state)


def _is_frame_queue(value: Any) -> bool:
    """Frames kept in a sequence: a frame stack's deque (Gymnasium's FrameStackObservation), or
    AtariPreprocessing's list of the two frames it max-pools (an episode's last observation
    pools the frame of the step before); equal arrays either way."""
    return (isinstance(value, deque | list) and len(value) > 0
            and all(isinstance(item, np.ndarray) for item in value)
            and len({(item.shape, item.dtype) for item in value}) == 1)


def _legacy_generator(obj: Any) -> np.random.RandomState | None:
    """The legacy ``RandomState`` an env exposes as its ``np_random`` property (dm_control's task
    generator through Shimmy), else None. Gymnasium's own ``np_random`` is not read: on an env
    never seeded, reading it would seed one."""
    prop = getattr(type(obj), "np_random", None)
    if not isinstance(prop, property) or prop in (gym.Env.np_random, gym.Wrapper.np_random):
        return None
    value = getattr(obj, "np_random", None)
    return value if isinstance(value, np.random.RandomState) else None


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
        elif _ale(value) is not None:
            state[key] = _ale_state(value)
        elif _is_frame_queue(value):
            state[key] = {FRAMES_KEY: np.stack(value)}
    if (legacy := _legacy_generator(obj)) is not None:
        state["np_random"] = {LEGACY_RNG_KEY: legacy.get_state(legacy=False)}
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
        elif isinstance(value, dict) and LEGACY_RNG_KEY in value:
            legacy = _legacy_generator(obj)
            assert legacy is not None, f"a RandomState for {type(obj).__name__}.{key}"
            legacy.set_state(value[LEGACY_RNG_KEY])
        elif isinstance(value, dict) and PHYSICS_KEY in value:
            mujoco = _mujoco_data(obj, current)
            assert mujoco is not None, f"a MuJoCo state for {type(obj).__name__}.{key}"
            mujoco.mj_setState(obj.model, current, value[PHYSICS_KEY],
                               mujoco.mjtState.mjSTATE_INTEGRATION)
            mujoco.mj_forward(obj.model, current)  # the derived quantities of that state
        elif isinstance(value, dict) and ALE_KEY in value:
            ale_py = _ale(current)
            assert ale_py is not None, f"an ALE state for {type(obj).__name__}.{key}"
            _restore_ale(ale_py, current, value[ALE_KEY])
        elif isinstance(value, dict) and FRAMES_KEY in value:
            assert isinstance(current, deque | list), f"frames for {type(obj).__name__}.{key}"
            current.clear()
            current.extend(frame.copy() for frame in value[FRAMES_KEY])
        elif isinstance(current, np.ndarray) and isinstance(value, np.ndarray):
            if current.shape == value.shape:
                current[...] = value
            else:
                setattr(obj, key, value.copy())
        else:
            setattr(obj, key, value.copy() if isinstance(value, np.ndarray) else value)


def snapshot(env: Any) -> list[dict[str, Any]]:
    """The plain-data state of each layer of ``env``, outermost first; a ``ReplayFromReset``
    layer's state stands for itself and every layer below it."""
    state: list[dict[str, Any]] = []
    for layer in _layers(env):
        if isinstance(layer, ReplayFromReset):
            return [*state, layer.replay_state()]
        state.append(_attribute_state(layer))
    return state


def _snapshotted_layers(env: Any) -> list[Any]:
    """The layers a ``snapshot`` of ``env`` has an entry for: down to a ``ReplayFromReset``."""
    layers = _layers(env)
    replayed = next((i for i, layer in enumerate(layers) if isinstance(layer, ReplayFromReset)),
                    None)
    return layers if replayed is None else layers[:replayed + 1]


def fits(env: Any, state: list[dict[str, Any]]) -> bool:
    """Whether ``state`` is a snapshot of an env wrapped as ``env`` is (as many layers)."""
    return len(_snapshotted_layers(env)) == len(state)


def restore(env: Any, state: list[dict[str, Any]]) -> None:
    """Write a ``snapshot`` back into an env built the same way."""
    layers = _snapshotted_layers(env)
    if len(layers) != len(state):
        raise ValueError(f"env has {len(layers)} layers but the snapshot has {len(state)}")
    for layer, layer_state in zip(layers, state, strict=True):
        if isinstance(layer, ReplayFromReset):
            layer.replay(layer_state)
        else:
            _restore_attributes(layer, layer_state)
    for layer in reversed(layers):  # once every attribute is back, innermost first
        if isinstance(layer, Replays) and not isinstance(layer, ReplayFromReset):
            layer.replay()


# the modules of envs whose state lives in a physics engine's objects: Box2D's (LunarLander,
# BipedalWalker, CarRacing), PyBullet's, and DeepMind Control's through Shimmy
REPLAYED = ("gymnasium.envs.box2d", "pybullet_envs_gymnasium", "shimmy.dm_control_compatibility")


# Box2D envs that keep one world from episode to episode (BipedalWalker builds it in __init__;
# LunarLander builds a new one at each reset): the world's contact and broad-phase bookkeeping
# carries over from earlier episodes and orders the solver's work, so an episode replayed in a
# new env parted from the original within 2,000 steps. Under ReplayFromReset each of their
# episodes starts in a new world, the old one emptied first as their reset would.
KEPT_WORLDS = frozenset({"BipedalWalker"})


def _fresh_world(env: Any) -> None:
    """A new, empty world for an env that would otherwise keep its old one (``KEPT_WORLDS``)."""
    if type(env).__name__ in KEPT_WORLDS:
        env._destroy()
        env.world = type(env.world)()


def needs_replay(env: gym.Env) -> bool:
    """An env whose state a snapshot cannot hold, so that its episodes replay (``REPLAYED``)."""
    return type(env.unwrapped).__module__.startswith(REPLAYED)


class ReplayFromReset(gym.Wrapper):
    """Makes an env whose state a snapshot cannot hold restorable: it keeps the plain-data state
    of the env below it from before its episode's reset, that reset's seed, and the actions
    since; ``replay`` restores that state, resets and steps the actions again. Exact for an env
    that is a function of those (Box2D's envs build a new world at each reset); the cost is one
    replayed episode per env on resume. An env that builds its engine at its first reset (a
    PyBullet client) is reset once before a start taken after a reset is written back, so that
    the attributes restored describe a live engine.

        env = ReplayFromReset(gym.make("LunarLander-v3"))
        state = snapshot(env)          # at a checkpoint
        restore(other_env, state)      # on resume: other_env continues the same episode
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._start = snapshot(env)  # never reset: a restore only writes this back
        self._seed: int | None = None
        self._has_reset = False
        self._actions: list[Any] = []
        self._start_warm = False  # whether the env below had been reset when _start was taken
        self._warm = False  # whether it has been reset since it was made

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        if options:  # an episode started from options would not replay from the seed alone
            raise ValueError(f"{type(self).__name__} replays resets without options: {options}")
        self._start, self._seed, self._has_reset, self._actions = snapshot(self.env), seed, True, []
        self._start_warm, self._warm = self._warm, True
        _fresh_world(self.env.unwrapped)
        return self.env.reset(seed=seed)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        self._actions.append(np.array(action, copy=True))  # the caller may reuse its array
        return self.env.step(action)

    def replay_state(self) -> dict[str, Any]:
        """This episode's start and actions, as plain data."""
        actions = np.stack(self._actions) if self._actions else np.zeros(0)  # [steps, ...]
        return {"start": self._start, "seed": self._seed, "has_reset": self._has_reset,
                "actions": actions, "start_warm": self._start_warm}

    def replay(self, state: dict[str, Any]) -> None:
        """Continue the episode ``replay_state`` describes."""
        warm = bool(state.get("start_warm", False))  # older checkpoints: Box2D's, never needed
        if warm and not self._warm:
            self.env.reset()  # the engine as its first reset builds it; restored over next
            self._warm = True
        if warm or not self._warm:
            restore(self.env, state["start"])
        # else a start from before any reset into an env whose engine is built: writing it back
        # would unhook the engine (a PyBullet client's id), and the seeded reset below sets all
        # that an unreset env holds
        self._start, self._seed, self._has_reset = state["start"], state["seed"], False
        self._actions = []
        if state["has_reset"]:
            self.reset(seed=state["seed"])
            for action in state["actions"]:
                self.step(action)
        self._start_warm = warm  # as the replayed episode's start was taken
