"""Every agent of the value family trains end to end on CartPole (a short run), acts in numpy
as in torch, and survives a checkpoint round trip; learning to the thresholds is the golden
test's work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from coachrl.agents.bootstrapped_dqn import BootstrappedAlgorithmParams, BootstrappedDQNParams
from coachrl.agents.c51 import C51AlgorithmParams, C51Params
from coachrl.agents.ddqn import DDQNParams
from coachrl.agents.dqn import DQNAlgorithmParams
from coachrl.agents.iqn import IQNAlgorithmParams, IQNParams
from coachrl.agents.mmc import MMCAlgorithmParams, MMCParams
from coachrl.agents.munchausen_dqn import MunchausenAlgorithmParams, MunchausenDQNParams
from coachrl.agents.nec import NECAlgorithmParams, NECParams
from coachrl.agents.pal import PALAlgorithmParams, PALParams
from coachrl.agents.qr_dqn import QRDQNAlgorithmParams, QRDQNParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import UCB, Greedy
from coachrl.params import (
    EnvironmentParams,
    MemoryKind,
    MemoryParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

SHORT = {"batch_size": 32, "train_frequency": 32, "gradient_steps": 4, "learning_starts": 300,
         "target_update_period": 16}
AGENTS = {
    "ddqn": DDQNParams(algorithm=DQNAlgorithmParams(**SHORT)),
    "dueling_ddqn": DDQNParams(algorithm=DQNAlgorithmParams(dueling=True, **SHORT)),
    "c51": C51Params(algorithm=C51AlgorithmParams(atoms=11, v_min=0.0, v_max=50.0, **SHORT)),
    "qr_dqn": QRDQNParams(algorithm=QRDQNAlgorithmParams(quantiles=16, double=True, **SHORT)),
    "iqn": IQNParams(algorithm=IQNAlgorithmParams(quantiles=8, embedding_size=16, **SHORT)),
    "rainbow": C51Params(  # C51 with every switch of Rainbow on: composed, not re-implemented
        algorithm=C51AlgorithmParams(atoms=11, v_min=0.0, v_max=50.0, double=True, noisy=True,
                                     dueling=True, **SHORT),
        memory=MemoryParams(kind=MemoryKind.PRIORITIZED, n_step=3, priority_exponent=0.5),
        exploration=Greedy()),
    "bootstrapped_dqn": BootstrappedDQNParams(
        algorithm=BootstrappedAlgorithmParams(heads=4, mask_probability=0.5, **SHORT)),
    "ucb_dqn": BootstrappedDQNParams(algorithm=BootstrappedAlgorithmParams(heads=4, **SHORT),
                                     exploration=UCB(bonus=0.5)),
    "pal": PALParams(algorithm=PALAlgorithmParams(**SHORT)),
    "munchausen_dqn": MunchausenDQNParams(algorithm=MunchausenAlgorithmParams(**SHORT)),
    "mmc": MMCParams(algorithm=MMCAlgorithmParams(**SHORT)),
    "nec": NECParams(algorithm=NECAlgorithmParams(dnd_capacity=500, key_size=8, neighbours=10,
                                                  **SHORT), memory=MemoryParams(n_step=5)),
}


def _preset(params, experiment_dir: Path) -> Preset:
    agent = dataclasses.replace(params, network=NetworkParams(hidden_sizes=(32, 32)))
    return Preset(agent=agent, env=EnvironmentParams(env_id="CartPole-v1"),
                  schedule=ScheduleParams(heatup_steps=EnvSteps(300),
                                          improve_steps=EnvSteps(1_200),
                                          evaluation_period=EnvSteps(600),
                                          evaluation_episodes=Episodes(2)),
                  validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(1_200)),
                  run=RunParams(experiment_dir=str(experiment_dir)), name="ValueFamily")


@pytest.mark.parametrize("name", AGENTS)
def test_each_value_agent_trains_and_round_trips_a_checkpoint(name: str, tmp_path: Path) -> None:
    preset = _preset(AGENTS[name], tmp_path)
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    outcome = trainer.run()
    agent = trainer.agent
    assert outcome.reason == "finished" and agent.train_steps == 4 * ((1_200 - 300) // 32 + 1)
    assert np.isfinite(outcome.last_metrics["loss/total"])
    observations = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    output = getattr(agent, "q_name", "embedding")  # NEC: its embedding network's output
    acting = agent.acting.predict(observations)[output]
    online = agent.online.predict(observations)[output]  # torch: the same outputs
    if not getattr(agent, "noisy", False):
        np.testing.assert_allclose(acting, online, rtol=1e-4, atol=1e-4)
    fresh = Trainer(preset, run_dir=trainer.run_dir, resume=True, console=False)
    assert fresh.agent.train_steps == agent.train_steps
    np.testing.assert_allclose(fresh.agent.online.predict(observations)[output], online,
                               rtol=1e-6)
    np.testing.assert_allclose(fresh.agent.value_estimates(observations)["q"],
                               agent.value_estimates(observations)["q"], rtol=1e-5, atol=1e-5)


def test_n_step_q_trains_one_step_per_rollout_and_copies_its_target(tmp_path: Path) -> None:
    from coachrl.agents.n_step_q import NStepQAlgorithmParams, NStepQParams

    params = NStepQParams(algorithm=NStepQAlgorithmParams(rollout_length=5,
                                                          target_update_period=10))
    preset = dataclasses.replace(_preset(params, tmp_path), env=EnvironmentParams(
        env_id="CartPole-v1", n_envs=2), schedule=ScheduleParams(
        improve_steps=EnvSteps(1_000), evaluation_period=EnvSteps(500),
        evaluation_episodes=Episodes(2)))
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    observations = np.zeros((3, 4), np.float32)
    untrained = trainer.agent.target.predict(observations)["q"]
    outcome = trainer.run()
    agent = trainer.agent
    # one gradient step per rollout of 5 steps of 2 envs (autoreset steps count in the rollout,
    # not in the env steps, hence a few more than 1000 / 10)
    assert 100 <= agent.train_steps <= 110 and np.isfinite(outcome.last_metrics["loss/total"])
    target = agent.target.predict(observations)["q"]
    assert not np.allclose(target, untrained)  # copied every 10 gradient steps
    assert not np.allclose(target, agent.online.predict(observations)["q"]) or (
        agent.train_steps % 10 == 0)
    fresh = Trainer(preset, run_dir=trainer.run_dir, resume=True, console=False)
    np.testing.assert_allclose(fresh.agent.target.predict(observations)["q"],
                               agent.target.predict(observations)["q"], rtol=1e-6)
