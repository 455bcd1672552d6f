"""PPO with an adaptive KL penalty: the loss on a hand-made case, the adaptation rule, and a
short run that resumes with the adapted beta."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from coachrl.agents.ppo import PPOAlgorithmParams, PPOParams
from coachrl.backend.torch.policy_losses import KLPenaltySurrogate
from coachrl.core import batch as B
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.networks import DiscretePolicyHead, KLPenaltySurrogateLoss
from coachrl.params import EnvironmentParams, Preset, RunParams, ScheduleParams, Validation
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir


def test_the_penalised_surrogate_on_a_hand_made_case() -> None:
    head = DiscretePolicyHead(n_actions=2, loss=KLPenaltySurrogateLoss(
        kl_weight=3.0, normalize_advantages=False))
    logits = torch.log(torch.tensor([[0.5, 0.5], [0.8, 0.2]]))
    batch = {B.ACTIONS: torch.tensor([0, 1]), B.ADVANTAGES: torch.tensor([2.0, -1.0]),
             B.LOG_PROBS: torch.log(torch.tensor([0.25, 0.2]))}  # old pi(a|s)
    loss, metrics = KLPenaltySurrogate(head)({"policy": logits}, batch, kl_weight=0.5)
    ratios = np.array([0.5 / 0.25, 0.2 / 0.2])  # 2 and 1
    kl = np.mean((ratios - 1) - np.log(ratios))  # (1 - log 2) / 2
    assert float(metrics["approx_kl"]) == pytest.approx(kl)
    surrogate = np.mean(ratios * np.array([2.0, -1.0]))  # (4 - 1) / 2
    assert float(loss) == pytest.approx(-surrogate + 0.5 * kl)  # the per-update beta wins
    assert kl == pytest.approx((1 - math.log(2)) / 2)


def _preset(experiment_dir: Path, **algorithm) -> Preset:
    return Preset(agent=PPOParams(algorithm=PPOAlgorithmParams(rollout_length=32, epochs=4,
                                                               batch_size=64, **algorithm)),
                  env=EnvironmentParams(env_id="CartPole-v1", n_envs=4),
                  schedule=ScheduleParams(improve_steps=EnvSteps(1_024),
                                          evaluation_period=EnvSteps(512),
                                          evaluation_episodes=Episodes(2)),
                  validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(1_024)),
                  run=RunParams(experiment_dir=str(experiment_dir)), name="PPO_KL")


@pytest.mark.parametrize(("kl", "expected"), [(0.02, 2.0), (0.009, 1.0), (0.005, 0.5)])
def test_beta_doubles_above_and_halves_below_the_target_band(kl: float, expected: float,
                                                             tmp_path: Path) -> None:
    preset = _preset(tmp_path, kl_target=0.01, initial_kl_weight=1.0)
    agent = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False).agent
    agent.adapt_kl_weight(kl)  # the band is (0.01 / 1.5, 0.015]
    assert agent.kl_weight == expected


def test_ppo_kl_trains_adapts_beta_and_resumes_with_it(tmp_path: Path) -> None:
    preset = _preset(tmp_path, kl_target=0.001)  # a tight target: beta must move
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    outcome = trainer.run()
    assert trainer.agent.train_steps == 1_024 // 128 * 4 * 2  # 8 rollouts, 4 epochs of 2
    assert trainer.agent.kl_weight != 1.0 and outcome.last_metrics["ppo/kl_weight"] > 0
    fresh = Trainer(dataclasses.replace(preset), run_dir=trainer.run_dir, resume=True,
                    console=False)
    assert fresh.agent.kl_weight == trainer.agent.kl_weight
