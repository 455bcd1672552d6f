"""Clipped PPO with a diagonal Gaussian policy learns a continuous-action task."""

from __future__ import annotations

from pathlib import Path

from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

TARGET_ENV = "coachrl.environments.toy:TargetReachingEnv"  # optimal return 0, length 8


def test_gaussian_ppo_learns_to_reach_the_target(tmp_path: Path) -> None:
    preset = apply_overrides(load_preset("CartPole_ClippedPPO"), [
        f"env.env_id={TARGET_ENV}", "env.n_envs=4", "schedule.improve_steps=8000",
        "schedule.evaluation_period=2000", "agent.algorithm.rollout_length=64",
        "agent.algorithm.epochs=10", "agent.algorithm.batch_size=64",
        "agent.algorithm.discount=0.9", "agent.learning_rate=3e-3",
        "agent.learning_rate_decay=constant", "agent.algorithm.clip_range=0.2",
        f"run.experiment_dir={tmp_path}",
    ])
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    untrained = trainer.evaluate_now().mean  # mean action ~0: return ~ -8 * E[target^2] = -2.7
    outcome = trainer.run()
    assert untrained < -1.5
    assert outcome.counters.last_eval is not None and outcome.counters.last_eval > -0.1
