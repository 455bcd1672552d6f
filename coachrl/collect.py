"""``coachrl collect``: record episodes of a policy into a dataset for batch RL and off-policy
evaluation.

    coachrl collect RUN_DIR --episodes 500 --epsilon 0.3 --out data/cartpole.h5
    coachrl collect CartPole_DQN --random --episodes 200 --out data/random.h5

The policy is a trained run's (its deterministic action; ``--stochastic`` samples its own
exploration instead), mixed with uniform actions with probability ``--epsilon``, or uniform
actions alone (``--random``, from a preset's env). Every transition records mu(.|s), the
probability the logging policy gave each action, as off-policy estimators need it. Discrete
actions only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.core.environment import VectorEnvironment
from coachrl.core.seeding import derive_seed
from coachrl.core.spaces import DiscreteActions
from coachrl.errors import ConfigError, IncompatibleSpaces
from coachrl.memories.dataset import write_dataset
from coachrl.memories.episodic import Episode

COLLECT_STREAM = 4  # the env seed stream of collection (training 1, evaluation 2, agent 3)


class _Logger:
    """Chooses actions and their probabilities: a run's policy, epsilon-mixed, or uniform."""

    def __init__(self, target: str, *, random: bool, epsilon: float, stochastic: bool) -> None:
        from coachrl.api import load
        from coachrl.registry import load_preset

        if not 0.0 <= epsilon <= 1.0:
            raise ConfigError(f"--epsilon {epsilon} must lie in [0, 1]")
        self.epsilon, self.stochastic = (1.0 if random else epsilon), stochastic
        self.policy: Any = None
        if random and not Path(target).is_dir():
            self.preset = load_preset(target)
        else:
            self.policy = load(target, checkpoint="best")
            self.preset = self.policy.preset
        self.export = None if random else self.policy.agent.policy_export()

    def probabilities(self, observations: NDArray, n_actions: int) -> NDArray:
        uniform = np.full((len(observations), n_actions), 1.0 / n_actions)
        if self.export is None:
            return uniform
        policy = self.policy
        filtered = (observations if policy.filters.observations is None
                    else policy.filters.observations(observations))
        scores = self.export.network.predict(filtered)[self.export.action.scores]
        own = self.export.action.exploration.probabilities(
            scores, step=policy.env_steps, explore=self.stochastic,
            state=policy.agent.exploration_state)
        return self.epsilon * uniform + (1.0 - self.epsilon) * own


def collect(target: str, *, episodes: int, out: str | Path, epsilon: float = 0.0,
            random: bool = False, stochastic: bool = False, seed: int = 0,
            n_envs: int = 8) -> tuple[Path, list[Episode]]:
    """Record ``episodes`` whole episodes into the dataset ``out``; returns it and them."""
    from coachrl.deploy import action_to_json, observation_to_json
    from coachrl.params.tree import to_jsonable
    from coachrl.registry import env_adapter

    if episodes < 1:
        raise ConfigError(f"--episodes {episodes} must be at least 1")
    chooser = _Logger(target, random=random, epsilon=epsilon, stochastic=stochastic)
    env = cast(VectorEnvironment, env_adapter()(chooser.preset.env, seed=derive_seed(
        seed, COLLECT_STREAM), n_envs=min(n_envs, episodes), training=False))
    action = env.spaces.action
    if not isinstance(action, DiscreteActions):
        env.close()
        raise IncompatibleSpaces(f"datasets record discrete actions; the env has {action}")
    rng = np.random.default_rng(derive_seed(seed, COLLECT_STREAM + 1))
    try:
        finished = _record(env, chooser, action.n, episodes, rng)
    finally:
        env.close()
    spec = {"observation": observation_to_json(env.spaces.observation),
            "action": action_to_json(action), "env": to_jsonable(chooser.preset.env),
            "source": {"target": str(target), "random": random, "epsilon": chooser.epsilon,
                       "stochastic": stochastic, "seed": seed, "episodes": episodes}}
    return write_dataset(out, finished, spec), finished


def _record(env: VectorEnvironment, chooser: _Logger, n_actions: int, wanted: int,
            rng: np.random.Generator) -> list[Episode]:
    """The first ``wanted`` episodes to start, each recorded to its end (stopping at the first
    ``wanted`` to end would favour short episodes)."""
    observations = env.reset()
    open_steps: list[list[dict[str, Any]]] = [[] for _ in range(env.n_envs)]
    admitted = np.arange(env.n_envs) < wanted  # whether env i's episode is one of the first
    started = int(admitted.sum())
    finished: list[Episode] = []
    while len(finished) < wanted:
        probabilities = chooser.probabilities(observations, n_actions)
        cumulative = probabilities.cumsum(axis=1)
        actions = np.minimum((cumulative < rng.random((len(cumulative), 1))).sum(axis=1),
                             n_actions - 1)
        result, _ = env.step(actions)
        for i in np.flatnonzero(result.valid & admitted):
            open_steps[i].append({
                B.OBSERVATIONS: observations[i], B.ACTIONS: actions[i],
                B.REWARDS: result.rewards[i], B.NEXT_OBSERVATIONS: result.observations[i],
                B.TERMINATED: result.terminated[i],
                B.TRUNCATED: result.dones[i] and not result.terminated[i],
                B.BEHAVIOUR_PROBS: probabilities[i]})
        for i in np.flatnonzero(result.valid & result.dones):
            if admitted[i]:
                steps, open_steps[i] = open_steps[i], []
                finished.append(Episode({key: np.asarray([s[key] for s in steps])
                                         for key in steps[0]}))
            admitted[i] = started < wanted
            started += int(admitted[i])
        observations = result.observations
    for episode in finished:
        episode.data[B.REWARDS] = episode.data[B.REWARDS].astype(np.float32)
    return finished
