"""A DQN agent with a NoisyNet head: exploring acts under noise redrawn on its schedule,
evaluation acts with the means, and every gradient step trains under fresh noise."""

from __future__ import annotations

import numpy as np

from coachrl.core.batch import StepResult
from coachrl.exploration import Greedy
from coachrl.params.tree import apply_overrides
from coachrl.registry import env_adapter, load_preset
from coachrl.runtime.build import make_agent, make_backends


def _agent(period: int):
    preset = apply_overrides(load_preset("CartPole_DQN"), [
        "agent.algorithm.noisy=true", f"agent.algorithm.noise_resample_period={period}",
        "agent.algorithm.learning_starts=0", "agent.algorithm.batch_size=16"])
    preset.agent.exploration = Greedy()
    learner, actor = make_backends(preset)
    return make_agent(preset, env_adapter()(preset.env, seed=0), learner, actor)


def test_acting_noise_follows_its_schedule_and_evaluation_uses_the_means() -> None:
    agent = _agent(period=3)
    observations = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32)
    q = []
    for step in range(7):
        agent.act(observations, step=step, explore=True)
        q.append(agent.acting.predict(observations)["q"])
    assert np.array_equal(q[0], q[2]) and not np.array_equal(q[2], q[3])  # steps 0-2, 3-5
    assert np.array_equal(q[3], q[5]) and not np.array_equal(q[5], q[6])
    greedy = [agent.act(observations, step=9, explore=False).actions for _ in range(3)]
    means = agent.acting.predict(observations)["q"]
    assert all(np.array_equal(g, means.argmax(1)) for g in greedy)
    assert not np.array_equal(means, q[6])


def test_each_gradient_step_trains_under_fresh_noise() -> None:
    agent = _agent(period=1)
    rng = np.random.default_rng(1)
    observations = rng.normal(size=(1, 4)).astype(np.float32)
    for step in range(40):
        info = agent.act(observations, step=step, explore=True)
        next_observations = rng.normal(size=(1, 4)).astype(np.float32)
        agent.observe(observations, info, StepResult(next_observations, np.ones(1, np.float32),
                                                     np.zeros(1, bool), np.zeros(1, bool),
                                                     np.ones(1, bool)))
        observations = next_observations
    noise = [agent.online.get_weights()["heads.q.linear.noise_in"]]
    agent.train(step=40)
    noise.append(agent.online.get_weights()["heads.q.linear.noise_in"])
    agent.train(step=41)
    noise.append(agent.online.get_weights()["heads.q.linear.noise_in"])
    assert not np.array_equal(noise[0], noise[1]) and not np.array_equal(noise[1], noise[2])
