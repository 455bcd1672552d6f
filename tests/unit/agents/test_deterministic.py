"""DDPG and TD3: the smoothed, clipped target action, the minimum over twin critics, the
delayed actor step; and both train end to end on Pendulum and resume."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from coachrl.agents.ddpg import DDPGParams
from coachrl.agents.td3 import TD3AlgorithmParams, TD3Params
from coachrl.core import batch as B
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    EnvironmentParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)
from coachrl.runtime.build import make_agent, make_backends, make_envs
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir


def _preset(params, experiment_dir: Path = Path("."), steps: int = 600) -> Preset:
    params = dataclasses.replace(params, network=NetworkParams(hidden_sizes=(16, 16)))
    return Preset(agent=params, env=EnvironmentParams(env_id="Pendulum-v1"),
                  schedule=ScheduleParams(heatup_steps=EnvSteps(100), improve_steps=EnvSteps(steps),
                                          evaluation_period=EnvSteps(400),
                                          evaluation_episodes=Episodes(1)),
                  validation=Validation(min_reward=-200.0, max_env_steps=EnvSteps(steps)),
                  run=RunParams(experiment_dir=str(experiment_dir)), name="Deterministic")


def _agent(params):
    preset = _preset(params)
    env, eval_env = make_envs(preset, eval_episodes=1)
    agent = make_agent(preset, env, *make_backends(preset))
    env.close()
    eval_env.close()
    return agent


def _batch(n: int = 3) -> dict[str, np.ndarray]:
    return {B.OBSERVATIONS: np.zeros((n, 3), np.float32),
            B.ACTIONS: np.zeros((n, 1), np.float32),
            B.REWARDS: np.array([1.0, 2.0, 3.0], np.float32)[:n],
            B.NEXT_OBSERVATIONS: np.ones((n, 3), np.float32),
            B.TERMINATED: np.array([0.0, 1.0, 0.0], np.float32)[:n]}


def test_td3_smooths_the_target_action_with_clipped_noise_and_takes_the_critics_minimum(
        monkeypatch: pytest.MonkeyPatch) -> None:
    agent = _agent(TD3Params(algorithm=TD3AlgorithmParams(discount=0.5, target_noise=0.2,
                                                          target_noise_clip=0.5)))
    update = agent.update
    seen: dict[str, torch.Tensor] = {}
    target_actor, target_critic = update.target_actor.model, update.target_critic.model
    update.target_actor.model = lambda x: {"policy": torch.full((len(x), 1), 0.8)}

    def critic(inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        seen["inputs"] = inputs
        return {"q": torch.tensor([[10.0, 4.0, -2.0], [6.0, 8.0, -1.0]])}  # [critics, batch]

    update.target_critic.model = critic
    monkeypatch.setattr(torch, "randn_like", lambda x: torch.tensor([[5.0], [-5.0], [0.5]]))
    original = update.critic_loss
    update.critic_loss = lambda out, batch: seen.update(targets=batch[B.TARGETS]) or original(
        out, batch)
    update.critic_step(_batch(), discount=0.5)
    # noise 0.2 * (5, -5, 0.5) = (1, -1, 0.1), clipped to (0.5, -0.5, 0.1); 0.8 + it, clipped
    np.testing.assert_allclose(seen["inputs"][:, 3].numpy(), [1.0, 0.3, 0.9], rtol=1e-6)
    # min over the critics: (6, 4, -2); terminated sample 1 has no bootstrap
    np.testing.assert_allclose(seen["targets"].numpy(), [1 + 0.5 * 6, 2.0, 3 + 0.5 * -2])
    update.target_actor.model, update.target_critic.model = target_actor, target_critic


def test_td3_steps_the_actor_and_the_targets_every_second_critic_step() -> None:
    agent = _agent(TD3Params())
    actor_steps = []
    agent.update.actor_step = lambda batch: actor_steps.append(agent.train_steps) or {}
    targets = []
    agent.update_targets = lambda tau: targets.append(agent.train_steps)
    for _ in range(4):
        agent.learn_from_batch(_batch())
        agent.train_steps += 1
        if agent.target_update_due():
            agent.update_targets(0.005)
    assert actor_steps == [1, 3] and targets == [2, 4]


def test_ddpg_has_one_critic_an_actor_step_each_time_and_no_smoothing() -> None:
    agent = _agent(DDPGParams())
    assert agent.critic.spec.heads[0].critics == 1 and agent.update.target_noise == 0.0
    assert agent.params.algorithm.policy_delay == 1


@pytest.mark.parametrize("params", [DDPGParams(), TD3Params()], ids=["ddpg", "td3"])
def test_the_deterministic_agents_train_on_pendulum_and_resume(params, tmp_path: Path) -> None:
    preset = _preset(params, tmp_path)
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    outcome = trainer.run()
    agent = trainer.agent
    assert agent.train_steps == 600 - 101 + 1 and np.isfinite(outcome.last_metrics["loss/total"])
    observations = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(agent.acting.predict(observations)["policy"],
                               agent.actor.predict(observations)["policy"], rtol=1e-5, atol=1e-6)
    fresh = Trainer(preset, run_dir=trainer.run_dir, resume=True, console=False)
    np.testing.assert_allclose(fresh.agent.value_estimates(observations)["q"],
                               agent.value_estimates(observations)["q"], rtol=1e-6)
