"""The DQN benchmark compares the same work: from the same weights, on the same 128 batches,
coachrl's DQN update and Stable-Baselines3's leave the same Q-function (float32 rounding aside).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import stable_baselines3 as sb3  # the [bench] extra, installed with [test]
import torch

from coachrl.core import batch as B
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

LAYERS = (("towers.shared.1", 0), ("towers.shared.3", 2), ("heads.q.linear", 4))
UPDATES = 128


def _batch(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {B.OBSERVATIONS: rng.normal(size=(64, 4)).astype(np.float32),
            B.NEXT_OBSERVATIONS: rng.normal(size=(64, 4)).astype(np.float32),
            B.ACTIONS: rng.integers(0, 2, 64),
            B.REWARDS: np.ones(64, np.float32),
            B.TERMINATED: (rng.random(64) < 0.1).astype(np.float32)}


def test_dqn_updates_match_stable_baselines3(tmp_path: Path) -> None:
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.type_aliases import ReplayBufferSamples

    preset = apply_overrides(load_preset("CartPole_DQN"), [f"run.experiment_dir={tmp_path}"])
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
    agent = trainer.agent
    model = sb3.DQN("MlpPolicy", "CartPole-v1", learning_rate=2.3e-3, batch_size=64,
                    gamma=0.99, policy_kwargs={"net_arch": [256, 256]}, device="cpu", seed=0)
    weights = agent.online.get_weights()
    with torch.no_grad():
        for key, index in LAYERS:
            layer = model.q_net.q_net[index]
            layer.weight.copy_(torch.as_tensor(weights[f"{key}.weight"]))
            layer.bias.copy_(torch.as_tensor(weights[f"{key}.bias"]))
    model.q_net_target.load_state_dict(model.q_net.state_dict())
    agent.target.set_weights(weights)

    probe = np.random.default_rng(99).normal(size=(32, 4)).astype(np.float32)
    initial = agent.online.predict(probe)[agent.q_name]
    batches = [_batch(seed) for seed in range(UPDATES)]
    feed = iter(batches)

    def sample(batch_size: int, env: object = None) -> ReplayBufferSamples:
        b = next(feed)
        column = lambda key: torch.as_tensor(b[key]).reshape(-1, 1)  # noqa: E731
        return ReplayBufferSamples(torch.as_tensor(b[B.OBSERVATIONS]),
                                   column(B.ACTIONS).long(),
                                   torch.as_tensor(b[B.NEXT_OBSERVATIONS]),
                                   column(B.TERMINATED), column(B.REWARDS))

    model.replay_buffer.sample = sample  # type: ignore[method-assign]
    model.set_logger(configure(None, [""]))
    model.train(gradient_steps=UPDATES, batch_size=64)  # target fixed during the round, as ours
    for b in batches:
        agent.learn_from_batch(b)

    ours = agent.online.predict(probe)[agent.q_name]
    with torch.no_grad():
        theirs = model.q_net(torch.as_tensor(probe)).numpy()
    assert np.abs(theirs - initial).max() > 0.1  # the updates moved the Q-function far
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)  # float32 rounding apart
    trainer.env.close()
    trainer.eval_env.close()
