"""The DQN and PPO benchmarks compare the same work: from the same weights, on the same data,
coachrl's updates and Stable-Baselines3's leave the same functions (float32 rounding aside):
DQN over 128 batches, PPO over one rollout's 20 epochs. With the population standard deviation
in PPO's advantage normalisation (before 2026-12-03) the policies differed by 6.5e-5 after one
PPO update, against 1.8e-7 with SB3's sample one."""

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


PPO_STEP = 2_560  # env steps into the run when the update happens (learning rate and clip decay)


def _rollout(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A rollout of 32 steps of 8 envs: random observations and actions, unit rewards and
    episode ends (terminations) in about 5% of the steps; the step after an end begins the
    next episode."""
    dones = rng.random((32, 8)) < 0.05
    return {B.OBSERVATIONS: rng.normal(size=(32, 8, 4)).astype(np.float32),
            B.ACTIONS: rng.integers(0, 2, (32, 8)), B.REWARDS: np.ones((32, 8), np.float32),
            B.DONES: dones, "last": rng.normal(size=(8, 4)).astype(np.float32)}


def test_ppo_update_matches_stable_baselines3(tmp_path: Path) -> None:
    """From the same weights and one rollout (with the behaviour values and log-probs of those
    weights), coachrl's CartPole_ClippedPPO update (20 epochs of the whole rollout) and SB3's
    PPO.train with the RL-zoo values leave the same policy and value function."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.logger import configure

    preset = apply_overrides(load_preset("CartPole_ClippedPPO"),
                             [f"run.experiment_dir={tmp_path}"])
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
    agent = trainer.agent
    model = sb3.PPO("MlpPolicy", make_vec_env("CartPole-v1", n_envs=8, seed=0), n_steps=32,
                    batch_size=256, n_epochs=20, gamma=0.98, gae_lambda=0.8, ent_coef=0.0,
                    learning_rate=lambda remaining: 1e-3 * remaining,
                    clip_range=lambda remaining: 0.2 * remaining, device="cpu", seed=0)
    policy = model.policy
    weights = agent.main.get_weights()
    layers = {"towers.policy.1": policy.mlp_extractor.policy_net[0],
              "towers.policy.3": policy.mlp_extractor.policy_net[2],
              "towers.value.1": policy.mlp_extractor.value_net[0],
              "towers.value.3": policy.mlp_extractor.value_net[2],
              "heads.policy.linear": policy.action_net, "heads.value.linear": policy.value_net}
    with torch.no_grad():
        for key, layer in layers.items():
            layer.weight.copy_(torch.as_tensor(weights[f"{key}.weight"]))
            layer.bias.copy_(torch.as_tensor(weights[f"{key}.bias"]))

    def theirs(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SB3's log pi(.|s) and V(s)."""
        with torch.no_grad():
            obs = torch.as_tensor(observations)
            return (policy.get_distribution(obs).distribution.logits.numpy(),
                    policy.predict_values(obs)[:, 0].numpy())

    def ours(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = agent.main.predict(observations)
        logits = out[agent.policy_head.name]
        return (logits - np.log(np.exp(logits).sum(-1, keepdims=True)),
                out[agent.value_head.name])

    probe = np.random.default_rng(99).normal(size=(64, 4)).astype(np.float32)
    before = theirs(probe)
    for a, b in zip(ours(probe), before, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)  # the same starting weights

    rollout = _rollout(np.random.default_rng(7))
    dones = rollout[B.DONES]
    starts = np.concatenate([np.zeros((1, 8), bool), dones[:-1]])  # SB3's episode_starts
    buffer = model.rollout_buffer
    for t in range(32):
        obs = torch.as_tensor(rollout[B.OBSERVATIONS][t])
        actions = torch.as_tensor(rollout[B.ACTIONS][t])
        with torch.no_grad():
            values, log_probs, _ = policy.evaluate_actions(obs, actions)
        buffer.add(rollout[B.OBSERVATIONS][t], rollout[B.ACTIONS][t][:, None],
                   rollout[B.REWARDS][t], starts[t], values, log_probs)
        agent.buffer.add(observations=rollout[B.OBSERVATIONS][t], actions=rollout[B.ACTIONS][t],
                         values=values[:, 0].numpy(), log_probs=log_probs.numpy(),
                         rewards=rollout[B.REWARDS][t], terminated=dones[t], dones=dones[t],
                         valid=np.ones(8, bool))
    with torch.no_grad():
        last_values = policy.predict_values(torch.as_tensor(rollout["last"]))
    buffer.compute_returns_and_advantage(last_values=last_values, dones=dones[-1])
    agent._last_observations = rollout["last"]

    model._current_progress_remaining = 1.0 - PPO_STEP / 100_000
    model.set_logger(configure(None, [""]))
    model.train()
    agent.train(PPO_STEP)

    after = theirs(probe)
    assert np.abs(after[0] - before[0]).max() > 0.05  # the update moved the policy far
    assert np.abs(after[1] - before[1]).max() > 0.05  # and the values
    for a, b in zip(ours(probe), after, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)  # float32 rounding apart
    trainer.env.close()
    trainer.eval_env.close()
