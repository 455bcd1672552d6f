"""Epochs over a rollout that one minibatch covers train on one device batch: converted once,
advantages normalised once, the same update as the batch given fresh each epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.backend import make_backend
from coachrl.backend.torch.network import DeviceBatch
from coachrl.backend.torch.policy_losses import NORMALIZED_ADVANTAGES
from coachrl.core import batch as B
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.networks.spec import (
    ClippedSurrogateLoss,
    DiscretePolicyHead,
    FCMiddleware,
    NetworkSpec,
    OptimizerSpec,
    ValueLoss,
    VectorEmbedder,
    VHead,
)
from coachrl.params import EnvironmentParams, Preset, RunParams, ScheduleParams, Validation
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

SPEC = NetworkSpec(embedder=VectorEmbedder(input_size=4),
                   middleware=FCMiddleware(hidden_sizes=(16, 16), activation="tanh"),
                   heads=(DiscretePolicyHead(n_actions=2, loss=ClippedSurrogateLoss()),
                          VHead(loss=ValueLoss())),
                   separate_towers=True)


def _network():
    backend = make_backend("torch")
    backend.seed(3)
    return backend.build(SPEC, optimizer=OptimizerSpec(learning_rate=1e-2, max_grad_norm=0.5))


def _rollout_batch(size: int = 96) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {B.OBSERVATIONS: rng.normal(size=(size, 4)).astype(np.float32),
            B.ACTIONS: rng.integers(0, 2, size), B.LOG_PROBS: np.full(size, -0.7, np.float32),
            B.ADVANTAGES: rng.normal(2.0, 3.0, size).astype(np.float32),
            B.RETURNS: rng.normal(size=size).astype(np.float32),
            B.OLD_VALUES: rng.normal(size=size).astype(np.float32)}


def test_a_device_batch_trains_as_the_numpy_batch_does_and_normalises_once() -> None:
    fresh, reused = _network(), _network()
    batch = _rollout_batch()
    device = reused.device_batch(batch)
    assert isinstance(device, DeviceBatch) and NORMALIZED_ADVANTAGES not in device
    normalised = []
    for _ in range(5):  # epochs
        metrics = fresh.train_on_batch(batch, clip_range=0.1)
        assert reused.train_on_batch(device, clip_range=0.1) == metrics
        normalised.append(device[NORMALIZED_ADVANTAGES])
    assert all(tensor is normalised[0] for tensor in normalised)
    assert float(normalised[0].mean()) == pytest.approx(0.0, abs=1e-6)
    for key, value in fresh.get_weights().items():
        np.testing.assert_array_equal(reused.get_weights()[key], value, err_msg=key)


def _trainer(tmp_path: Path, *, epochs: int, batch_size: int) -> Trainer:
    preset = Preset(
        agent=ClippedPPOParams(algorithm=ClippedPPOAlgorithmParams(
            rollout_length=16, epochs=epochs, batch_size=batch_size)),
        env=EnvironmentParams(env_id="CartPole-v1", n_envs=4),
        schedule=ScheduleParams(improve_steps=EnvSteps(256), evaluation_period=EnvSteps(256),
                                evaluation_episodes=Episodes(1)),
        validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(256)),
        run=RunParams(experiment_dir=str(tmp_path)), name="PPO_repeated")
    return Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)


@pytest.mark.parametrize(("epochs", "batch_size", "repeated"),
                         [(3, 64, True), (3, 1_000, True), (1, 64, False), (3, 32, False)])
def test_epochs_reuse_one_device_batch_only_where_one_minibatch_covers_the_rollout(
        tmp_path: Path, epochs: int, batch_size: int, repeated: bool) -> None:
    trainer = _trainer(tmp_path, epochs=epochs, batch_size=batch_size)
    agent = trainer.agent
    seen: list[object] = []
    learn = agent.learn_from_batch
    agent.learn_from_batch = lambda batch, *, step: (seen.append(batch),  # type: ignore
                                                     learn(batch, step=step))[1]
    trainer.run()
    assert agent.train_steps == len(seen) > 0
    if repeated:  # one object per rollout, every epoch; every valid step of it in each
        per_rollout = [seen[i:i + epochs] for i in range(0, len(seen), epochs)]
        assert all(isinstance(b, DeviceBatch) and all(x is b for x in group)
                   for group in per_rollout for b in group[:1])
        assert all(len(group[0][B.OBSERVATIONS]) <= 64 for group in per_rollout)
    else:
        assert not any(isinstance(b, DeviceBatch) for b in seen)
