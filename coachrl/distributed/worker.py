"""A rollout worker: K envs and an acting copy of the agent, returning fixed-length fragments.

Plain Python (no Ray): ``coachrl.distributed.pool`` runs it as a Ray actor.

    worker = RolloutWorker(preset, index=0, n_envs=4)
    fragment = worker.sample(length=128, weights={"main": ...}, version=0, step=0)
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
import traceback
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import LearnsFromReplay
from coachrl.backend import Weights, make_backend
from coachrl.core import batch as B
from coachrl.core.schedules import Constant
from coachrl.core.seeding import derive_seed
from coachrl.exploration import EGreedy
from coachrl.params.base import Preset
from coachrl.registry import env_adapter
from coachrl.runtime.build import AGENT_STREAM, ENV_STREAM, make_agent, make_filters

WORKER_STREAM = 1_000  # seed streams of worker i > 0 (and of replacements) start here
TRANSITIONS, TRANSITION_COUNTS, PRIORITIES = "transitions", "transition_counts", "priorities"
LAST_OBSERVATIONS, VALID, GRADIENTS = "last_observations", "valid", "gradients"
EPISODE_RETURNS, EPISODE_LENGTHS = "episode_returns", "episode_lengths"
SUMMARY = (EPISODE_RETURNS, EPISODE_LENGTHS, "env_steps", "version", "worker", "seconds")


class EnvFailure(Exception):
    """An env (or the acting agent) raised inside a worker; carries the original traceback text."""

    def __init__(self, index: int, env_id: str, text: str) -> None:
        super().__init__(f"rollout worker {index}: env {env_id!r} raised\n{text}")
        self.index, self.env_id, self.text = index, env_id, text

    def __reduce__(self) -> tuple[Any, ...]:
        return EnvFailure, (self.index, self.env_id, self.text)


def worker_seeds(seed: int, index: int, incarnation: int) -> tuple[int, int]:
    """(env seed, agent seed). Worker 0's first incarnation uses the single-process streams."""
    if index == 0 and incarnation == 0:
        return derive_seed(seed, ENV_STREAM), derive_seed(seed, AGENT_STREAM)
    stream = WORKER_STREAM + 2 * (index + 64 * incarnation)
    return derive_seed(seed, stream), derive_seed(seed, stream + 1)


def acting_preset(preset: Preset, epsilon: float | None) -> Preset:
    """The worker's copy of the preset: a minimal replay and, for Ape-X, a fixed epsilon."""
    worker = copy.deepcopy(preset)
    memory = getattr(worker.agent, "memory", None)
    if memory is not None:  # the worker's agent only acts: its replay is never filled
        memory.capacity = max(int(getattr(worker.agent.algorithm, "batch_size", 1)), 1)
    if epsilon is not None:
        worker.agent.exploration = EGreedy(schedule=Constant(constant=epsilon))  # type: ignore
    return worker


class RolloutWorker:
    """K envs stepped by a numpy acting copy of the agent; weights arrive as numpy dicts."""

    def __init__(self, preset: Preset, *, index: int, n_envs: int, epsilon: float | None = None,
                 incarnation: int = 0, gradients: bool = False) -> None:
        self.index, self.env_id = index, preset.env.env_id
        env_seed, agent_seed = worker_seeds(preset.run.seed, index, incarnation)
        self.env = env_adapter()(preset.env, seed=env_seed, n_envs=n_envs)
        numpy_backend = make_backend("numpy")
        # A3C workers compute gradients, so they hold a trainable copy (torch, one thread)
        learner = make_backend("torch", threads=1) if gradients else numpy_backend
        self.agent = make_agent(acting_preset(preset, epsilon), self.env, learner,
                                numpy_backend)
        self.agent.rng.bit_generator.state = np.random.default_rng(agent_seed).bit_generator.state
        self.heatup = int(preset.schedule.heatup_steps)
        self.rewards = make_filters(preset, self.env).rewards
        self.observations = self.env.reset()
        self.version = -1

    def pid(self) -> int:
        return os.getpid()

    def node(self) -> str:
        """The Ray node id of the host (this method runs only inside an actor)."""
        import ray

        return ray.get_runtime_context().get_node_id()

    def set_weights(self, weights: Weights | dict[str, Weights], version: int) -> None:
        for name, network_weights in weights.items():
            self.agent.networks[name].set_weights(network_weights)  # type: ignore[arg-type]
        self.agent.sync_acting()
        self.version = version

    def sample(self, *, length: int, step: int, weights: dict[str, Weights] | None = None,
               version: int = -1, rng_state: dict | None = None) -> dict[str, Any]:
        """``length`` steps of every env; env errors come back as ``EnvFailure``."""
        if weights is not None:
            self.set_weights(weights, version)
        if rng_state is not None:  # sync mode, worker 0: the learner's generator travels along
            self.agent.rng.bit_generator.state = rng_state
        try:
            return self._with_behaviour(self._collect(length, step))
        except Exception:
            raise EnvFailure(self.index, self.env_id, traceback.format_exc()) from None

    def gradients(self, *, length: int, step: int, weights: dict[str, Weights] | None = None,
                  version: int = -1, rng_state: dict | None = None) -> dict[str, Any]:
        """A3C: a rollout of ``length`` steps fed to the agent, returned as its loss gradient."""
        del rng_state
        if weights is not None:
            self.set_weights(weights, version)
        try:
            fragment = self._collect(length, step, observe=True)
            gradients = self.agent.rollout_gradients()  # type: ignore[attr-defined]
        except Exception:
            raise EnvFailure(self.index, self.env_id, traceback.format_exc()) from None
        kept = {key: fragment[key] for key in SUMMARY}
        return kept | {GRADIENTS: gradients}

    def _with_behaviour(self, fragment: dict[str, Any]) -> dict[str, Any]:
        """Add the behaviour policy's values and log-probs [T, envs] (on-policy agents), from
        the weights that acted: the learner may have newer ones when the fragment arrives."""
        observations, actions = fragment[B.OBSERVATIONS], fragment[B.ACTIONS]
        steps = observations.shape[:2]
        extras = self.agent.behaviour(observations.reshape(-1, *observations.shape[2:]),
                                      actions.reshape(-1, *actions.shape[2:]))
        return fragment | {key: value.reshape(steps) for key, value in extras.items()}

    def _collect(self, length: int, step: int, *, observe: bool = False) -> dict[str, Any]:
        start = time.perf_counter()
        # an agent that learns from replay gets its transitions built here (n-step windows
        # kept per worker env) with their initial priorities, as Ape-X's actors do
        replay = self.agent if isinstance(self.agent, LearnsFromReplay) and not observe else None
        built: list[dict[str, NDArray]] = []
        columns: dict[str, list[NDArray]] = {}
        returns: list[NDArray] = []
        lengths: list[NDArray] = []
        env_steps = 0
        for _ in range(length):
            observations = self.observations
            if step + env_steps < self.heatup:
                info = self.agent.random_actions(self.env.n_envs)
            else:
                info = self.agent.act(observations, step=step + env_steps, explore=True)
            result, finished = self.env.step(info.actions)
            result = dataclasses.replace(result, rewards=self.rewards(result.rewards))
            if observe:
                self.agent.observe(observations, info, result)
            elif replay is not None:
                replay.end_episodes(result)  # stateful exploration restarts with each episode
                built.append(replay.transitions(observations, info, result))
            row = {B.OBSERVATIONS: observations, B.ACTIONS: info.actions,
                   B.REWARDS: result.rewards, B.TERMINATED: result.terminated,
                   B.TRUNCATED: result.truncated, VALID: result.valid, **info.extras}
            for key, value in row.items():
                columns.setdefault(key, []).append(np.asarray(value))
            returns.append(finished.returns)
            lengths.append(finished.lengths)
            env_steps += int(np.count_nonzero(result.valid))
            self.observations = result.observations
        fragment: dict[str, Any] = {key: np.stack(value) for key, value in columns.items()}
        if replay is not None:
            transitions = {key: np.concatenate([t[key] for t in built]) for key in built[0]}
            fragment |= {TRANSITIONS: transitions,
                         TRANSITION_COUNTS: np.array([len(t[B.REWARDS]) for t in built]),
                         PRIORITIES: replay.initial_priorities(transitions)}
        fragment |= {LAST_OBSERVATIONS: np.asarray(self.observations),
                     EPISODE_RETURNS: np.concatenate(returns),
                     EPISODE_LENGTHS: np.concatenate(lengths), "env_steps": env_steps,
                     "version": self.version, "worker": self.index,
                     "seconds": time.perf_counter() - start,
                     "rng_state": self.agent.rng.bit_generator.state}
        return fragment
