"""Every value-family agent on 2 async rollout workers (a short budget): Ape-X for the agents
that learn from replay, asynchronous gradients for N-step Q."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import ray  # the [ray] extra, installed with [test]

from coachrl.agents.n_step_q import NStepQAlgorithmParams, NStepQParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.distributed.config import DistributedConfig, Mode
from coachrl.distributed.trainer import DistributedTrainer
from coachrl.params import ScheduleParams
from coachrl.runtime.run_dir import create_run_dir
from tests.integration.test_value_family import AGENTS, _preset

pytestmark = [pytest.mark.ray, pytest.mark.slow]

WORKER_AGENTS = {**AGENTS, "n_step_q": NStepQParams(algorithm=NStepQAlgorithmParams())}


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    from coachrl.distributed.cluster import loopback_only

    with loopback_only():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.parametrize("name", WORKER_AGENTS)
def test_each_value_agent_learns_from_two_async_workers(name: str, tmp_path: Path) -> None:
    preset = _preset(WORKER_AGENTS[name], tmp_path)
    preset = dataclasses.replace(preset, schedule=ScheduleParams(
        heatup_steps=EnvSteps(0 if name == "n_step_q" else 300), improve_steps=EnvSteps(1_500),
        evaluation_period=EnvSteps(1_000), evaluation_episodes=Episodes(2)))
    trainer = DistributedTrainer(preset, run_dir=create_run_dir(preset), console=False,
                                 config=DistributedConfig(workers=2, mode=Mode.ASYNC,
                                                          fragment_length=50))
    outcome = trainer.run()
    assert outcome.reason == "finished" and outcome.counters.env_steps >= 1_500
    # replay learners report their loss; N-step Q's learner applies gradients whose loss the
    # workers computed, and reports the update's own figures
    assert trainer.agent.train_steps > 0 and outcome.last_metrics
    assert all(np.isfinite(value) for value in outcome.last_metrics.values())
    assert trainer.pool.restarts == 0
