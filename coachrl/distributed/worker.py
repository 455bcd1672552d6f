"""A rollout worker: K envs and an acting copy of the agent, returning fixed-length fragments.

Plain Python (no Ray): ``coachrl.distributed.pool`` runs it as a Ray actor.

    worker = RolloutWorker(preset, index=0, n_envs=4)
    fragment = worker.sample(length=128, weights={"main": ...}, version=0, step=0)  # a Fragment
"""

from __future__ import annotations

import copy
import os
import time
import traceback
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import LearnsFromReplay
from coachrl.backend import Weights, make_backend
from coachrl.core import batch as B
from coachrl.core.batch import EpisodeStats, Fragment
from coachrl.core.schedules import Constant
from coachrl.core.seeding import derive_seed
from coachrl.exploration import EGreedy
from coachrl.params.base import Preset
from coachrl.registry import env_adapter
from coachrl.runtime.build import AGENT_STREAM, ENV_STREAM, make_agent, make_filters
from coachrl.runtime.stepping import EnvStepper
from coachrl.runtime.threads import limit_numpy_threads

WORKER_STREAM = 1_000  # seed streams of worker i > 0 (and of replacements) start here


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
        limit_numpy_threads(preset.run.numpy_threads)
        numpy_backend = make_backend("numpy")
        # A3C workers compute gradients, so they hold a trainable copy (torch, one thread)
        learner = make_backend("torch", threads=1) if gradients else numpy_backend
        self.agent = make_agent(acting_preset(preset, epsilon), self.env, learner,
                                numpy_backend)
        self.agent.set_rng_state(np.random.default_rng(agent_seed).bit_generator.state)
        self.stepper = EnvStepper(self.env, self.agent, make_filters(preset, self.env),
                                  heatup=int(preset.schedule.heatup_steps))
        self.observations = self.stepper.reset()
        self.version = -1

    def pid(self) -> int:
        return os.getpid()

    def node(self) -> str:
        """The Ray node id of the host (this method runs only inside an actor)."""
        import ray

        return ray.get_runtime_context().get_node_id()

    def set_weights(self, weights: dict[str, Weights], version: int) -> None:
        self.agent.set_weights(weights)
        self.version = version

    def sample(self, *, length: int, step: int, weights: dict[str, Weights] | None = None,
               version: int = -1, rng_state: dict | None = None, priorities: bool = True,
               filters: dict | None = None) -> Fragment:
        """``length`` steps of every env; env errors come back as ``EnvFailure``.

        ``rng_state``: the learner's generator, to act with (sync mode, worker 0: the run then
        draws its random numbers in the order of one process). ``priorities=False``: send no
        initial priorities (the learner gives new transitions the largest, as in one process).
        ``filters``: the learner's observation statistics, which replace this worker's.
        """
        if weights is not None:
            self.set_weights(weights, version)
        if filters is not None:
            self.stepper.filters.load_state_dict(filters)
        if rng_state is not None:
            self.agent.set_rng_state(rng_state)
        try:
            return self._collect(length, step, priorities=priorities)
        except Exception:
            raise EnvFailure(self.index, self.env_id, traceback.format_exc()) from None

    def gradients(self, *, length: int, step: int, weights: dict[str, Weights] | None = None,
                  version: int = -1, rng_state: dict | None = None, priorities: bool = True,
                  filters: dict | None = None) -> Fragment:
        """A3C: a rollout of ``length`` steps fed to the agent, returned as its loss gradient."""
        del rng_state, priorities
        if weights is not None:
            self.set_weights(weights, version)
        if filters is not None:
            self.stepper.filters.load_state_dict(filters)
        try:
            fragment = self._collect(length, step, observe=True)
            gradients = self.agent.rollout_gradients()  # type: ignore[attr-defined]
        except Exception:
            raise EnvFailure(self.index, self.env_id, traceback.format_exc()) from None
        fragment.steps, fragment.gradients = {}, gradients
        return fragment

    def _collect(self, length: int, step: int, *, observe: bool = False,
                 priorities: bool = True) -> Fragment:
        """Step every env ``length`` times. The agent observes the steps itself (A3C), or the
        fragment carries them: the transitions a replay learner stores (built here, n-step
        windows kept per worker env, with Ape-X's initial priorities), the behaviour values and
        log-probs a rollout learner needs."""
        start = time.perf_counter()
        statistics = self.stepper.filters.state_dict()  # the learner's, or where the last ended
        replay = self.agent if isinstance(self.agent, LearnsFromReplay) and not observe else None
        built: list[dict[str, NDArray]] = []
        columns: dict[str, list[NDArray]] = {}
        finished: list[EpisodeStats] = []
        env_steps = 0
        for _ in range(length):
            observations = self.observations
            info, result, ended = self.stepper.step(observations, step + env_steps)
            if observe:
                self.agent.observe(observations, info, result)
            elif replay is not None:
                replay.end_episodes(result)  # stateful exploration restarts with each episode
                built.append(replay.transitions(observations, info, result))
                replay.track_transitions(built[-1])  # NEC: the worker's dictionary grows too
            row = {B.OBSERVATIONS: observations, B.ACTIONS: info.actions,
                   B.REWARDS: result.rewards, B.TERMINATED: result.terminated,
                   B.TRUNCATED: result.truncated, B.VALID: result.valid, **info.extras}
            for key, value in row.items():
                columns.setdefault(key, []).append(np.asarray(value))
            finished.append(ended)
            env_steps += int(np.count_nonzero(result.valid))
            self.observations = result.observations
        fragment = Fragment(
            steps={key: np.stack(value) for key, value in columns.items()},
            last_observations=np.asarray(self.observations),
            episodes=EpisodeStats.concatenate(finished),
            env_steps=env_steps, worker=self.index, version=self.version)
        if replay is not None:
            transitions = {key: np.concatenate([t[key] for t in built]) for key in built[0]}
            fragment.transitions = transitions
            fragment.transition_counts = np.array([len(t[B.REWARDS]) for t in built])
            fragment.priorities = replay.initial_priorities(transitions) if priorities else None
        elif not observe and B.VALUES not in fragment.steps:  # a recurrent policy's came
            self._add_behaviour(fragment)                        # with its actions
        fragment.seconds = time.perf_counter() - start
        fragment.rng_state = self.agent.rng_state()
        fragment.filter_statistics = self.stepper.filters.since(statistics) or None
        return fragment

    def _add_behaviour(self, fragment: Fragment) -> None:
        """The behaviour policy's values and log-probs [T, envs] (on-policy agents), from the
        weights that acted: the learner may have newer ones when the fragment arrives."""
        observations, actions = fragment.steps[B.OBSERVATIONS], fragment.steps[B.ACTIONS]
        steps = observations.shape[:2]
        extras = self.agent.behaviour(observations.reshape(-1, *observations.shape[2:]),
                                      actions.reshape(-1, *actions.shape[2:]))
        fragment.steps |= {key: value.reshape(steps) for key, value in extras.items()}
