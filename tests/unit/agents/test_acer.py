"""ACER's pieces against hand-computed cases: the truncated importance weight and the bias
correction, the trust region's projection, Retrace along a segment, the segment replay, and the
agent training and round-tripping a checkpoint."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from coachrl.backend.torch.policy_losses import acer_logit_gradient
from coachrl.core.returns import retrace, retrace_segment
from coachrl.errors import ConfigError
from coachrl.memories import SegmentReplay
from coachrl.networks import ACERPolicyLoss

pytestmark = pytest.mark.unit


def _gradient(logits, actions, behaviour, q, q_ret, average, spec):
    t = [torch.tensor(np.asarray(x, np.float64)) for x in (logits, behaviour, q, q_ret, average)]
    grad, terms = acer_logit_gradient(t[0], torch.tensor(actions), t[1], t[2], t[3], t[4], spec)
    return grad.numpy(), terms


def test_truncation_and_bias_correction_on_a_hand_computed_case() -> None:
    # pi = (0.5, 0.5), mu = (0.04, 0.96): rho = (12.5, 0.52); c = 10; Q = (1, 3): V = 2;
    # Q_ret = 4. Truncated term: min(10, 12.5) (4 - 2) = 20, times onehot(0) - pi = (10, -10).
    # Correction: u_0 = (1 - 10/12.5) 0.5 (1 - 2) = -0.1, u_1 = 0 (1 - 10/0.52 < 0);
    # u - pi sum(u) = (-0.05, 0.05). Sum: (9.95, -9.95).
    spec = ACERPolicyLoss(truncation=10.0, entropy_weight=0.0, trust_region=0.0)
    grad, terms = _gradient([[0.0, 0.0]], [0], [[0.04, 0.96]], [[1.0, 3.0]], [4.0],
                            [[0.0, 0.0]], spec)
    np.testing.assert_allclose(grad, [[9.95, -9.95]], atol=1e-12)
    assert float(terms["truncated"]) == 1.0
    # the objective: 10 log(0.5) (4 - 2) + (-0.1) log(0.5)
    assert float(terms["objective"]) == pytest.approx(20 * np.log(0.5) - 0.1 * np.log(0.5))


def test_the_gradient_is_autograd_of_the_objective_without_the_trust_region() -> None:
    rng = np.random.default_rng(0)
    n, actions_n = 16, 4
    logits = rng.standard_normal((n, actions_n))
    behaviour = rng.dirichlet(np.ones(actions_n), size=n)
    q, q_ret = rng.standard_normal((n, actions_n)), rng.standard_normal(n)
    actions = rng.integers(0, actions_n, n)
    spec = ACERPolicyLoss(truncation=1.5, entropy_weight=0.05, trust_region=0.0)
    grad, _ = _gradient(logits, actions, behaviour, q, q_ret, logits, spec)

    x = torch.tensor(logits, requires_grad=True)
    log_p = torch.log_softmax(x, -1)
    p = log_p.exp()
    pd = p.detach()
    qt, mu = torch.tensor(q), torch.tensor(behaviour)
    v = (pd * qt).sum(-1)
    rho = pd / mu
    a = torch.tensor(actions).unsqueeze(1)
    objective = (rho.gather(1, a).squeeze(1).clamp_max(1.5) * log_p.gather(1, a).squeeze(1)
                 * (torch.tensor(q_ret) - v)
                 + ((1 - 1.5 / rho).clamp_min(0) * pd * (qt - v.unsqueeze(1)) * log_p).sum(-1)
                 - 0.05 * (p * log_p).sum(-1))
    (expected,) = torch.autograd.grad(objective.sum(), x)
    np.testing.assert_allclose(grad, expected.numpy(), atol=1e-10)


def test_the_trust_region_caps_the_step_along_the_kl_gradient() -> None:
    rng = np.random.default_rng(1)
    logits, average = rng.standard_normal((32, 3)), rng.standard_normal((32, 3))
    args = ([0] * 32, np.full((32, 3), 1 / 3), rng.standard_normal((32, 3)),
            rng.standard_normal(32) * 5)
    delta = 0.05
    free, _ = _gradient(logits, args[0], args[1], args[2], args[3], average,
                        ACERPolicyLoss(trust_region=0.0))
    capped, terms = _gradient(logits, args[0], args[1], args[2], args[3], average,
                              ACERPolicyLoss(trust_region=delta))
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    k = p - np.exp(average) / np.exp(average).sum(-1, keepdims=True)
    before, after = (k * free).sum(-1), (k * capped).sum(-1)
    active = before > delta
    assert 0 < active.sum() < 32 and float(terms["trust_region_active"]) == active.mean()
    np.testing.assert_allclose(after[active], delta, atol=1e-10)  # projected onto k.z = delta
    np.testing.assert_allclose(capped[~active], free[~active])  # inside the region: unchanged


def test_retrace_segment_matches_retrace_of_its_parts() -> None:
    rng = np.random.default_rng(2)
    steps, envs, n = 5, 3, 4
    probs = rng.dirichlet(np.ones(n), size=(steps + 1, envs))
    mu = rng.dirichlet(np.ones(n), size=(steps, envs))
    q = rng.standard_normal((steps + 1, envs, n))
    actions = rng.integers(0, n, (steps, envs))
    rewards = rng.standard_normal((steps, envs))
    terminated = np.zeros((steps, envs), bool)
    terminated[2, 1] = True
    dones = terminated.copy()
    dones[3, 0] = True  # a truncation
    targets = retrace_segment(probs=probs, q=q, actions=actions, behaviour_probs=mu,
                              rewards=rewards, terminated=terminated, dones=dones, discount=0.9)
    values = (probs * q).sum(-1)
    rows = np.arange(steps)[:, None], np.arange(envs)[None]
    expected = retrace(rewards=rewards, q_taken=q[:-1][(*rows, actions)],
                       values=values[:-1], ratios=probs[:-1][(*rows, actions)] / mu[
                           (*rows, actions)], last_values=values[-1], terminated=terminated,
                       dones=dones, discount=0.9)
    np.testing.assert_allclose(targets, expected, rtol=1e-6)
    # a terminated step bootstraps from nothing
    assert targets[2, 1] == pytest.approx(rewards[2, 1], rel=1e-6)


def test_segment_replay_rings_samples_and_round_trips() -> None:
    replay = SegmentReplay(capacity=3)
    for i in range(5):
        replay.add({"x": np.full((2, 4), i), "y": np.array([i, i])})
    assert len(replay) == 3 and sorted(replay.storage["y"][:, 0]) == [2, 3, 4]
    rng = np.random.default_rng(0)
    assert {int(replay.sample(rng)["y"][0]) for _ in range(50)} == {2, 3, 4}
    copy = SegmentReplay(capacity=3)
    copy.load_state_dict(replay.state_dict())
    assert copy.position == replay.position
    np.testing.assert_array_equal(copy.storage["x"], replay.storage["x"])
    with pytest.raises(ValueError, match="columns"):
        replay.add({"x": np.zeros((2, 4))})


def test_bad_acer_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="truncation must be > 0"):
        ACERPolicyLoss(truncation=0.0)
    from coachrl.agents.acer import ACERAlgorithmParams

    with pytest.raises(ConfigError, match="average_decay"):
        ACERAlgorithmParams(average_decay=1.5)


@pytest.mark.integration
def test_acer_trains_replays_and_resumes_from_a_checkpoint(tmp_path: Path) -> None:
    from coachrl.agents.acer import ACERAlgorithmParams, ACERParams
    from coachrl.core.steps import EnvSteps, Episodes
    from coachrl.params import EnvironmentParams, Preset, RunParams, ScheduleParams, Validation
    from coachrl.runtime.loop import Trainer
    from coachrl.runtime.run_dir import create_run_dir

    preset = Preset(
        agent=ACERParams(algorithm=ACERAlgorithmParams(rollout_length=10, replay_ratio=2,
                                                       replay_start=2, replay_capacity=50)),
        env=EnvironmentParams(env_id="CartPole-v1", n_envs=2),
        schedule=ScheduleParams(improve_steps=EnvSteps(400), evaluation_period=EnvSteps(200),
                                evaluation_episodes=Episodes(2)),
        validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(400)),
        run=RunParams(experiment_dir=str(tmp_path)), name="ACERShort")
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    trainer.run()
    agent = trainer.agent
    # every rollout (10 x 2 rows, reset rows included) is stored: one on-policy update each,
    # two replayed ones from the second on
    rollouts = len(agent.replay)
    assert rollouts >= 400 // 20 and agent.train_steps == rollouts + 2 * (rollouts - 1)
    state = agent.state_dict()
    fresh = Trainer(dataclasses.replace(preset), run_dir=create_run_dir(preset),
                    console=False).agent
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.replay.storage["observations"],
                                  agent.replay.storage["observations"])
    for name, weights in agent.main.get_weights().items():
        np.testing.assert_array_equal(fresh.average.get_weights()[name],
                                      agent.average.get_weights()[name])
        np.testing.assert_array_equal(fresh.main.get_weights()[name], weights)
