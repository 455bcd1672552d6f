"""On-policy agents over vectors act with actions only; a complete rollout gets its behaviour
values and log-probs in one batched pass, equal to what acting step by step would have computed.
Over images (and with a recurrent policy) they come with the actions."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.agent import PolicyOptimizationAgent
from coachrl.core import batch as B
from coachrl.core.distributions import categorical_log_prob, gaussian_log_prob
from coachrl.distributed.worker import RolloutWorker
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.build import make_agent, make_backends, make_envs

HORIZON, N_ENVS = 6, 3


def _agent(env_id: str = "CartPole-v1"):
    preset = apply_overrides(load_preset("CartPole_ClippedPPO"), [
        f"env.env_id={env_id}", f"env.n_envs={N_ENVS}",
        f"agent.algorithm.rollout_length={HORIZON}"])
    env, eval_env = make_envs(preset, eval_episodes=1)
    eval_env.close()
    learner, actor = make_backends(preset)
    agent = make_agent(preset, env, learner, actor)
    assert isinstance(agent, PolicyOptimizationAgent)
    return preset, env, agent


def _step_by_step(agent: PolicyOptimizationAgent, observations: np.ndarray,
                  actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and log-probs computed one env step at a time (the way acting used to)."""
    values, log_probs = [], []
    head = agent.policy_head
    for obs, action in zip(observations, actions, strict=True):
        out = agent.acting.predict(obs)
        values.append(out[agent.value_head.name])
        if head.name + "_log_std" in out:
            log_probs.append(gaussian_log_prob(action, out[head.name], out[head.name + "_log_std"]))
        else:
            log_probs.append(categorical_log_prob(out[head.name], action))
    return np.array(values), np.array(log_probs)


@pytest.mark.parametrize("env_id", ["CartPole-v1", "coachrl.environments.toy:TargetReachingEnv"])
def test_a_finished_rollout_has_the_values_and_log_probs_of_each_step(env_id: str) -> None:
    _, env, agent = _agent(env_id)
    observations = env.reset()
    for step in range(HORIZON):
        info = agent.act(observations, step=step, explore=True)
        assert info.extras == {}  # acting computes actions only
        result, _ = env.step(info.actions)
        agent.observe(observations, info, result)
        observations = result.observations
    env.close()
    buffer = agent.buffer
    assert buffer.full and not buffer.has_behaviour
    agent.finish_rollout()
    assert buffer.has_behaviour
    values, log_probs = _step_by_step(agent, buffer.observations, buffer.actions)
    np.testing.assert_allclose(buffer.values, values, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(buffer.log_probs, log_probs, rtol=1e-5, atol=1e-6)
    assert np.isfinite(buffer.advantages).all() and np.abs(buffer.advantages).sum() > 0


def test_steps_that_bring_their_behaviour_keep_it() -> None:
    """Fragments of rollout workers carry the values and log-probs of the weights that acted;
    a learner with newer weights must not recompute them."""
    _, env, agent = _agent()
    observations = env.reset()
    for step in range(HORIZON):
        info = agent.act(observations, step=step, explore=True)
        result, _ = env.step(info.actions)
        marked = type(info)(info.actions, {B.VALUES: np.full(N_ENVS, float(step), np.float32),
                                           B.LOG_PROBS: np.full(N_ENVS, -0.5, np.float32)})
        agent.observe(observations, marked, result)
        observations = result.observations
    env.close()
    agent.finish_rollout()
    np.testing.assert_array_equal(agent.buffer.values[:, 0], np.arange(HORIZON))
    np.testing.assert_array_equal(agent.buffer.log_probs, -0.5)


def test_worker_fragments_carry_the_behaviour_of_the_weights_that_acted() -> None:
    preset, env, learner_agent = _agent()
    env.close()
    worker = RolloutWorker(preset, index=0, n_envs=2)
    weights = {name: net.get_weights() for name, net in learner_agent.networks.items()}
    fragment = worker.sample(length=5, step=0, weights=weights, version=0)
    assert fragment.steps[B.VALUES].shape == fragment.steps[B.LOG_PROBS].shape == (5, 2)
    assert isinstance(worker.agent, PolicyOptimizationAgent)
    values, log_probs = _step_by_step(worker.agent, fragment.steps[B.OBSERVATIONS],
                                      fragment.steps[B.ACTIONS])
    np.testing.assert_allclose(fragment.steps[B.VALUES], values, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fragment.steps[B.LOG_PROBS], log_probs, rtol=1e-5, atol=1e-6)
    worker.env.close()


def test_a_policy_over_images_brings_its_behaviour_with_its_actions() -> None:
    """Over images the acting pass's values and log-probs are kept (a second pass over a
    rollout's frames cost about half of Atari PPO's collection); they are what ``behaviour``
    computes for the same steps, and a full rollout then needs no second pass."""
    from coachrl.agent import AgentContext
    from coachrl.agents.clipped_ppo import ClippedPPOAgent, ClippedPPOParams
    from coachrl.backend import make_backend
    from coachrl.core.spaces import DiscreteActions, EnvSpaces, ObservationSpace

    spaces = EnvSpaces(ObservationSpace(shape=(4, 42, 42), dtype="uint8", channels_first=True),
                       DiscreteActions(n=3))
    learner, actor = make_backend("torch"), make_backend("numpy")
    context = AgentContext(spaces=spaces, n_envs=2, learner=learner, actor=actor,
                           rng=np.random.default_rng(0), total_steps=100)
    agent = ClippedPPOAgent(ClippedPPOParams(), context)
    observations = np.random.default_rng(1).integers(0, 256, (2, 4, 42, 42), dtype=np.uint8)
    info = agent.act(observations, step=0, explore=True)
    expected = agent.behaviour(observations, info.actions)
    assert set(info.extras) == {B.VALUES, B.LOG_PROBS}
    for key in (B.VALUES, B.LOG_PROBS):
        np.testing.assert_allclose(info.extras[key], expected[key], rtol=1e-5, atol=1e-6)
    _, _, vectors = _agent()
    assert not vectors.act(np.zeros((N_ENVS, 4), np.float32), step=0, explore=True).extras
