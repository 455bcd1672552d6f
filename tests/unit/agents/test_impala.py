"""IMPALA: V-trace targets from the learner's network against the behaviour log-probs that
came with the steps; a short run in one process."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coachrl.agents.impala import IMPALAAlgorithmParams, IMPALAParams
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.returns import vtrace
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, Preset, RunParams, ScheduleParams, Validation
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir


def _preset(experiment_dir: Path) -> Preset:
    return Preset(agent=IMPALAParams(algorithm=IMPALAAlgorithmParams(rollout_length=8)),
                  env=EnvironmentParams(env_id="CartPole-v1", n_envs=2),
                  schedule=ScheduleParams(improve_steps=EnvSteps(800),
                                          evaluation_period=EnvSteps(400),
                                          evaluation_episodes=Episodes(2)),
                  validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(800)),
                  run=RunParams(experiment_dir=str(experiment_dir)), name="IMPALA")


def test_stale_behaviour_log_probs_are_corrected_against_the_learners_policy(
        tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
    agent, env = trainer.agent, trainer.env
    observations = trainer.observations
    stale = np.full(2, np.log(0.9), np.float32)  # an older policy was far surer of its actions
    for _ in range(8):
        info = agent.act(observations, step=0, explore=True)
        result, _ = env.step(info.actions)
        agent.observe(observations, ActionInfo(info.actions, {
            B.VALUES: np.zeros(2, np.float32), B.LOG_PROBS: stale}), result)
        observations = result.observations
    agent.finish_rollout()
    buffer = agent.buffer
    flat = buffer.observations.reshape(-1, 4)
    current = agent.values_and_log_probs(agent.main, flat, buffer.actions.reshape(-1))
    expected, _ = vtrace(behaviour_log_probs=buffer.log_probs,
                         target_log_probs=current[B.LOG_PROBS].reshape(8, 2),
                         rewards=buffer.rewards, values=current[B.VALUES].reshape(8, 2),
                         last_values=agent.main.predict(observations)["value"],
                         terminated=buffer.terminated, dones=buffer.dones,
                         discount=agent.params.algorithm.discount)
    np.testing.assert_allclose(buffer.returns, expected, rtol=1e-6)
    np.testing.assert_array_equal(buffer.log_probs, stale[0])  # kept as sent
    ratios = np.exp(current[B.LOG_PROBS])  # ~0.5 now: pi/mu ~0.55 < 1 cuts the traces
    assert (ratios / 0.9 < 1).all()
    env.close()
    trainer.eval_env.close()


def test_impala_trains_one_step_per_rollout(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    outcome = trainer.run()
    assert 50 <= trainer.agent.train_steps <= 55  # 800 env steps / (8 x 2), autoresets aside
    assert np.isfinite(outcome.last_metrics["loss/policy"])
