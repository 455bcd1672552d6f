"""Exploration with state: OU noise's autocorrelation and reset, a bootstrapped head held for
an episode and redrawn between them, UCB's optimism on a hand-made ensemble, and the state
riding in the agent's checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coachrl.core.schedules import Constant
from coachrl.exploration import UCB, BootstrappedHeads, EGreedy, OrnsteinUhlenbeck
from coachrl.runtime.checkpoint import read_checkpoint, write_checkpoint


def _ou_path(policy: OrnsteinUhlenbeck, steps: int, n_envs: int = 1) -> np.ndarray:
    state = policy.initial_state(n_envs)
    rng, zeros = np.random.default_rng(0), np.zeros((n_envs, 1), np.float32)
    path = []
    for step in range(steps):
        policy.select(zeros, step=step, rng=rng, explore=True, state=state)
        path.append(state["ou_noise"].copy())
    return np.concatenate(path)[:, 0]


def test_ou_noise_has_the_autocorrelation_of_its_process() -> None:
    policy = OrnsteinUhlenbeck(theta=5.0, sigma=Constant(constant=0.3), dt=0.01)
    path = _ou_path(policy, 50_000)[1000:]
    lag1 = np.corrcoef(path[:-1], path[1:])[0, 1]
    assert lag1 == pytest.approx(1 - 5.0 * 0.01, abs=0.01)  # 0.95: correlated, not white
    # stationary spread sigma / sqrt(2 theta) (dt -> 0)
    assert path.std() == pytest.approx(0.3 / np.sqrt(2 * 5.0), rel=0.1)


def test_ou_noise_restarts_at_mu_where_an_episode_ends_and_clips_actions() -> None:
    policy = OrnsteinUhlenbeck(sigma=Constant(constant=50.0))
    state, rng = policy.initial_state(3), np.random.default_rng(1)
    actions, _ = policy.select(np.zeros((3, 2), np.float32), step=0, rng=rng, explore=True,
                               state=state)
    assert np.all(np.abs(actions) <= 1.0) and np.any(np.abs(actions) == 1.0)
    before = state["ou_noise"].copy()
    policy.end_episodes(state, np.array([False, True, False]), rng)
    np.testing.assert_array_equal(state["ou_noise"][1], [0.0, 0.0])
    np.testing.assert_array_equal(state["ou_noise"][[0, 2]], before[[0, 2]])
    evaluation, _ = policy.select(np.full((3, 2), 0.5, np.float32), step=0, rng=rng,
                                  explore=False, state=state)
    np.testing.assert_array_equal(evaluation, 0.5)  # no noise when evaluating


def _ensemble(n_envs: int, heads: int) -> np.ndarray:
    """Q [N, heads, actions] where head k prefers action k."""
    return np.tile(np.eye(heads, dtype=np.float32)[None], (n_envs, 1, 1))


def test_a_bootstrapped_head_is_held_for_an_episode_and_redrawn_after() -> None:
    policy, rng = BootstrappedHeads(), np.random.default_rng(0)
    state = policy.initial_state(2)
    scores = _ensemble(2, 10)
    first, _ = policy.select(scores, step=0, rng=rng, explore=True, state=state)
    per_episode = []
    for _episode in range(40):
        actions = [policy.select(scores, step=0, rng=rng, explore=True, state=state)[0]
                   for _ in range(15)]
        assert all(np.array_equal(a, actions[0]) for a in actions)  # constant within it
        per_episode.append(actions[0][0])
        policy.end_episodes(state, np.array([True, False]), rng)
    assert len(set(per_episode)) >= 8  # env 0: a new head each episode, 10 to choose from
    later, _ = policy.select(scores, step=0, rng=rng, explore=True, state=state)
    assert later[1] == first[1]  # env 1's episode never ended


def test_bootstrapped_heads_vote_when_evaluating() -> None:
    scores = np.zeros((1, 5, 3), np.float32)
    scores[0, :3, 2] = 1.0  # three heads prefer action 2
    scores[0, 3:, 0] = 1.0  # two prefer action 0
    actions, _ = BootstrappedHeads().select(scores, step=0, rng=np.random.default_rng(0),
                                            explore=False, state={})
    assert actions[0] == 2


def test_ucb_picks_the_optimistic_action() -> None:
    # action 0: mean 1.0, no spread; action 1: mean 0.9, heads disagree (std 0.5)
    scores = np.array([[[1.0, 0.4], [1.0, 1.4], [1.0, 0.4], [1.0, 1.4]]], np.float32)
    rng = np.random.default_rng(0)
    assert UCB(bonus=0.1).select(scores, step=0, rng=rng, explore=True)[0][0] == 0
    assert UCB(bonus=1.0).select(scores, step=0, rng=rng, explore=True)[0][0] == 1
    assert UCB(bonus=1.0).select(scores, step=0, rng=rng, explore=False)[0][0] == 0  # the mean


def test_stateless_policies_keep_no_state() -> None:
    assert EGreedy().initial_state(4) == {}
    assert UCB().initial_state(4) == {}


def test_the_exploration_state_rides_in_the_agents_checkpoint(tmp_path: Path) -> None:
    """The agent saves what its policy remembers, and a new agent acts on from it."""
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import env_adapter, load_preset
    from coachrl.runtime.build import make_agent, make_backends

    preset = apply_overrides(load_preset("CartPole_DQN"), ["env.n_envs=3"])

    def agent():
        learner, actor = make_backends(preset)
        built = make_agent(preset, env_adapter()(preset.env, seed=0, n_envs=3), learner, actor)
        built.use_exploration(OrnsteinUhlenbeck())
        return built

    first = agent()
    rng = np.random.default_rng(0)
    for step in range(5):
        first.exploration.select(np.zeros((3, 2), np.float32), step=step, rng=rng,  # type: ignore
                                 explore=True, state=first.exploration_state)
    written = write_checkpoint(tmp_path, "ckpt", {"agent": first.state_dict()},
                               header={"kind": "test"})
    second = agent()
    second.load_state_dict(read_checkpoint(written)[1]["agent"])
    np.testing.assert_array_equal(second.exploration_state["ou_noise"],
                                  first.exploration_state["ou_noise"])
