"""The SAC agent: parameter checks, actions mapped onto the env's bounds, replay in [-1, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coachrl.agent import AgentContext
from coachrl.agents.sac import SACAgent, SACParams
from coachrl.backend import make_backend
from coachrl.core import batch as B
from coachrl.core.spaces import BoxActions, EnvSpaces, ObservationSpace
from coachrl.errors import ConfigError, IncompatibleSpaces
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.build import make_agent, make_backends, make_envs


@pytest.mark.parametrize(("override", "field"), [
    ("agent.inference_backend=jax", "agent.inference_backend"),
    ("agent.memory.kind=prioritized", "agent.memory.kind"),
    ("agent.algorithm.critics=0", "agent.algorithm.critics"),
    ("agent.algorithm.initial_temperature=0", "agent.algorithm.initial_temperature"),
    ("agent.algorithm.target_update_tau=0", "agent.algorithm.target_update_tau"),
])
def test_invalid_sac_parameters_are_config_errors_naming_the_field(
        override: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        apply_overrides(load_preset("Pendulum_SAC"), [override])


@pytest.fixture()
def agent_and_env(tmp_path: Path):
    preset = apply_overrides(load_preset("Pendulum_SAC"), [
        f"run.experiment_dir={tmp_path}", "agent.network.hidden_sizes=[16, 16]",
        "agent.memory.capacity=1000", "agent.algorithm.batch_size=8"])
    env, eval_env = make_envs(preset, eval_episodes=1)
    learner, actor = make_backends(preset)
    yield make_agent(preset, env, learner, actor), env
    env.close()
    eval_env.close()


def test_actions_lie_within_the_env_bounds_and_evaluation_is_deterministic(agent_and_env) -> None:
    agent, _ = agent_and_env
    observations = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    explored = agent.act(observations, step=0, explore=True).actions
    assert explored.shape == (64, 1) and explored.dtype == np.float32
    assert np.all(np.abs(explored) <= 2.0)  # Pendulum-v1 torque bounds
    greedy = agent.act(observations, step=0, explore=False).actions
    np.testing.assert_array_equal(greedy, agent.act(observations, step=0, explore=False).actions)
    mean = agent.actor.predict(observations)["policy"]
    np.testing.assert_allclose(greedy, 2.0 * np.tanh(mean), rtol=1e-6, atol=1e-6)


def test_replay_stores_actions_in_the_policys_unit_range(agent_and_env) -> None:
    agent, env = agent_and_env
    observations = env.reset()
    for _ in range(20):
        info = agent.random_actions(env.n_envs)
        result, _ = env.step(info.actions)
        agent.observe(observations, info, result)
        observations = result.observations
    stored = agent.memory.storage[B.ACTIONS][: len(agent.memory)]
    assert len(agent.memory) == 20 and np.all(np.abs(stored) <= 1.0)
    assert stored.min() < -0.2 and stored.max() > 0.2  # uniform over the bounds, rescaled


def test_training_reports_critic_policy_and_temperature_metrics(agent_and_env) -> None:
    agent, env = agent_and_env
    observations = env.reset()
    for step in range(1, 121):
        info = agent.act(observations, step=step, explore=True)
        result, _ = env.step(info.actions)
        agent.observe(observations, info, result)
        observations = result.observations
    assert agent.ready_to_train(120) and not agent.ready_to_train(100)
    target_before = agent.target.get_weights()
    metrics = agent.train(120)
    assert {"loss/critic", "loss/policy", "loss/temperature", "sac/alpha",
            "loss/total"} <= set(metrics)
    assert agent.train_steps == 1
    changed = [not np.array_equal(target_before[k], v)
               for k, v in agent.target.get_weights().items()]
    assert all(changed)  # Polyak-averaged toward the critics after the step


def test_sac_learns_from_replay_so_its_workers_run_asynchronously() -> None:
    from coachrl.distributed.config import Mode, resolve_mode

    assert resolve_mode(load_preset("Pendulum_SAC"), None) is Mode.ASYNC
    with pytest.raises(ConfigError, match="needs an off-policy agent, A3C or IMPALA"):
        resolve_mode(load_preset("CartPole_ClippedPPO"), Mode.ASYNC)


def test_sac_acts_the_same_through_numpy_as_through_torch(tmp_path) -> None:
    """Numpy acting (what rollout workers do) follows the torch actor's outputs."""
    actions = {}
    for backend in ("torch", "numpy"):
        preset = apply_overrides(load_preset("Pendulum_SAC"), [
            f"agent.inference_backend={backend}", f"run.experiment_dir={tmp_path}"])
        learner, actor = make_backends(preset)
        env, _ = make_envs(preset, eval_episodes=1)
        agent = make_agent(preset, env, learner, actor)
        observations = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
        actions[backend] = agent.act(observations, step=0, explore=False).actions
        env.close()
    np.testing.assert_allclose(actions["numpy"], actions["torch"], rtol=1e-5, atol=1e-6)


def test_sac_on_image_observations_raises_incompatible_spaces() -> None:
    spaces = EnvSpaces(ObservationSpace(shape=(84, 84, 3), dtype="uint8"),
                       BoxActions(low=(-1.0,), high=(1.0,)))
    backend = make_backend("torch")
    context = AgentContext(spaces=spaces, n_envs=1, learner=backend, actor=backend,
                           rng=np.random.default_rng(0), total_steps=100)
    with pytest.raises(IncompatibleSpaces,
                       match=r"vector observations \(or a Dict of vectors\).*\(84, 84, 3\)"):
        SACAgent(SACParams(), context)


def test_a_numpy_acting_copy_follows_training(tmp_path) -> None:
    """The replay driver syncs the acting copy after each training call."""
    from coachrl.core.batch import StepResult

    preset = apply_overrides(load_preset("Pendulum_SAC"), [
        "agent.inference_backend=numpy", f"run.experiment_dir={tmp_path}",
        "agent.algorithm.learning_starts=10", "agent.algorithm.batch_size=8",
        "agent.network.hidden_sizes=[16, 16]"])
    learner, actor = make_backends(preset)
    env, _ = make_envs(preset, eval_episodes=1)
    agent = make_agent(preset, env, learner, actor)
    rng = np.random.default_rng(0)
    observations = rng.normal(size=(1, 3)).astype(np.float32)
    for step in range(20):
        info = agent.act(observations, step=step, explore=True)
        following = rng.normal(size=(1, 3)).astype(np.float32)
        agent.observe(observations, info, StepResult(following, np.ones(1, np.float32),
                                                     np.zeros(1, bool), np.zeros(1, bool),
                                                     np.ones(1, bool)))
        observations = following
    before = agent.acting.get_weights()
    agent.train(step=20)
    after = agent.acting.get_weights()
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    for key, value in agent.actor.get_weights().items():
        np.testing.assert_array_equal(after[key], value)
    env.close()
