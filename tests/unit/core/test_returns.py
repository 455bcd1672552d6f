"""Return maths against hand-computed values: GAE over [T, N] arrays (gamma = lambda = 0.5,
decay 0.25), n-step TD targets, C51's projection and QR-DQN's target quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core.returns import (
    categorical_projection,
    compute_gae,
    n_step_targets,
    quantile_targets,
    reverse_scan,
)

GAMMA = LAMBDA = 0.5

# env 0 runs through; env 1 ends its episode at t=1, t=2 is the NEXT_STEP reset row (reward 0,
# its value is V(true final observation)), t=3 starts the next episode.
REWARDS = np.array([[1, 1], [1, 2], [1, 0], [1, 1]], dtype=np.float32)
VALUES = np.array([[1, 1], [2, 1], [3, 6], [4, 2]], dtype=np.float32)
LAST_VALUES = np.array([8, 4], dtype=np.float32)
DONES = np.array([[0, 0], [0, 1], [0, 0], [0, 0]], dtype=bool)

# env 0 by hand: deltas 1, 0.5, 0, 1 -> advantages 1.140625, 0.5625, 0.25, 1.
ENV0 = [1.140625, 0.5625, 0.25, 1.0]
# env 1, t=3: delta 1 + 0.5*4 - 2 = 1 -> 1; t=2 (reset row): 0 + 0.5*2 - 6 = -5 -> -4.75.
# terminated at t=1: delta 2 - 1 = 1 (no bootstrap), cut -> 1; t=0: 0.5 + 0.25 * 1 = 0.75.
# truncated at t=1: delta 2 + 0.5*6 - 1 = 4 (bootstrap from the reset row's V) -> 4; t=0: 1.5.
ENV1 = {"terminated": [0.75, 1.0, -4.75, 1.0], "truncated": [1.5, 4.0, -4.75, 1.0]}


def _gae(terminated: np.ndarray, rewards: np.ndarray = REWARDS):
    return compute_gae(rewards=rewards, values=VALUES, last_values=LAST_VALUES,
                       terminated=terminated, dones=DONES, discount=GAMMA, gae_lambda=LAMBDA)


@pytest.mark.parametrize("ending", ["terminated", "truncated"])
def test_gae_matches_the_hand_computed_case(ending: str) -> None:
    terminated = DONES.copy() if ending == "terminated" else np.zeros_like(DONES)
    advantages, returns = _gae(terminated)
    expected = np.array([ENV0, ENV1[ending]], dtype=np.float32).T
    np.testing.assert_allclose(advantages, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(returns, expected + VALUES, rtol=0, atol=1e-6)
    assert advantages.dtype == np.float32 and returns.dtype == np.float32


def test_gae_bootstraps_on_truncation_but_not_on_termination() -> None:
    terminated_adv, _ = _gae(DONES.copy())
    truncated_adv, _ = _gae(np.zeros_like(DONES))
    # the only difference at the ending step is gamma * V(final observation) = 0.5 * 6
    assert truncated_adv[1, 1] - terminated_adv[1, 1] == pytest.approx(GAMMA * VALUES[2, 1])
    np.testing.assert_array_equal(terminated_adv[:, 0], truncated_adv[:, 0])


def test_truncated_step_bootstraps_from_the_reset_rows_value() -> None:
    values = VALUES.copy()
    values[2, 1] = 100.0  # V(true final observation), computed on the reset row
    advantages, _ = compute_gae(rewards=REWARDS, values=values, last_values=LAST_VALUES,
                                terminated=np.zeros_like(DONES), dones=DONES, discount=GAMMA,
                                gae_lambda=LAMBDA)
    assert advantages[1, 1] == pytest.approx(2.0 + GAMMA * 100.0 - 1.0)


@pytest.mark.parametrize("ending", ["terminated", "truncated"])
def test_gae_chain_is_cut_at_the_episode_end(ending: str) -> None:
    terminated = DONES.copy() if ending == "terminated" else np.zeros_like(DONES)
    before, _ = _gae(terminated)
    later = REWARDS.copy()
    later[3, 1] = 50.0  # a reward in the next episode
    after, _ = _gae(terminated, later)
    np.testing.assert_array_equal(before[:2, 1], after[:2, 1])
    assert after[3, 1] != before[3, 1]


def test_lambda_one_without_episode_end_gives_discounted_monte_carlo_returns() -> None:
    rewards = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    values = np.zeros((3, 1), dtype=np.float32)
    _, returns = compute_gae(rewards=rewards, values=values, last_values=np.array([10.0]),
                             terminated=np.zeros((3, 1), bool), dones=np.zeros((3, 1), bool),
                             discount=0.5, gae_lambda=1.0)
    # 1 + 0.5*2 + 0.25*3 + 0.125*10 = 4.0; 2 + 1.5 + 2.5 = 6.0; 3 + 5 = 8.0
    np.testing.assert_allclose(returns[:, 0], [4.0, 6.0, 8.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_envs", [1, 3, 8])
def test_reverse_scan_rounds_each_step_as_the_row_loop_does(n_envs: int, dtype: type) -> None:
    """Both of its paths (scalars for few envs, rows for more) give, bit for bit, what a
    row-by-row numpy loop of x_t = terms_t + decays_t * x_{t+1} gives, episode cuts included."""
    rng = np.random.default_rng(n_envs)
    terms = rng.standard_normal((40, n_envs)).astype(dtype)
    decays = (0.98 * 0.95 * (rng.random((40, n_envs)) > 0.1)).astype(dtype)
    expected = np.zeros_like(terms)
    running = np.zeros(n_envs, dtype)
    for t in range(39, -1, -1):
        running = terms[t] + decays[t] * running
        expected[t] = running
    scanned = reverse_scan(terms, decays)
    assert scanned.dtype == dtype
    np.testing.assert_array_equal(scanned, expected)


def test_one_step_targets_bootstrap_unless_terminated() -> None:
    targets = n_step_targets(rewards=np.array([1.0, 1.0]), next_values=np.array([4.0, 4.0]),
                             terminated=np.array([False, True]), discount=0.5)
    np.testing.assert_allclose(targets, [3.0, 1.0])


# -- n-step targets and distributional targets -----------------------------------------------
def test_n_step_targets_use_each_transitions_own_discount() -> None:
    targets = n_step_targets(rewards=np.array([1.0, 1.0, 1.0], np.float32),
                             next_values=np.array([10.0, 10.0, 10.0], np.float32),
                             terminated=np.array([0.0, 0.0, 1.0], np.float32), discount=0.9,
                             discounts=np.array([0.729, 0.81, 0.9], np.float32))
    np.testing.assert_allclose(targets, [1 + 7.29, 1 + 8.1, 1.0], rtol=1e-6)


def _projection_by_loop(p, rewards, terminated, support, gamma):
    atoms, out = len(support), np.zeros_like(p, dtype=np.float64)
    delta = (support[-1] - support[0]) / (atoms - 1)
    for i in range(len(p)):
        for j in range(atoms):
            tz = np.clip(rewards[i] + (1 - terminated[i]) * gamma * support[j], support[0],
                         support[-1])
            b = (tz - support[0]) / delta
            low, up = int(np.floor(b)), int(np.ceil(b))
            if low == up:
                out[i, low] += p[i, j]
            else:
                out[i, low] += p[i, j] * (up - b)
                out[i, up] += p[i, j] * (b - low)
    return out


def test_categorical_projection_by_hand() -> None:
    support = np.array([-1.0, 0.0, 1.0], np.float32)
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], np.float32)
    got = categorical_projection(next_probabilities=p, rewards=np.array([0.5, 0.5, 1.0]),
                                 terminated=np.array([0.0, 1.0, 1.0]), support=support,
                                 discount=1.0)
    # row 0: z=0 moves to 0.5, half to 0 and half to 1; row 1: the episode ended, all mass at
    # r = 0.5, split the same way; row 2: r = 1 lands exactly on the last atom
    np.testing.assert_allclose(got, [[0.0, 0.5, 0.5], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])


def test_categorical_projection_matches_the_papers_loop_and_keeps_mass() -> None:
    rng = np.random.default_rng(0)
    support = np.linspace(-10, 10, 51).astype(np.float32)
    logits = rng.normal(size=(32, 51))
    p = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    rewards = rng.normal(scale=3, size=32).astype(np.float32)
    terminated = (rng.random(32) < 0.2).astype(np.float32)
    got = categorical_projection(next_probabilities=p, rewards=rewards, terminated=terminated,
                                 support=support, discount=0.99)
    np.testing.assert_allclose(got, _projection_by_loop(p, rewards, terminated, support, 0.99),
                               atol=1e-6)
    np.testing.assert_allclose(got.sum(1), 1.0, rtol=1e-5)


def test_quantile_targets_shift_and_scale_the_next_quantiles() -> None:
    got = quantile_targets(next_quantiles=np.array([[1.0, 2.0], [1.0, 2.0]], np.float32),
                           rewards=np.array([0.5, 0.5], np.float32),
                           terminated=np.array([0.0, 1.0], np.float32), discount=0.5)
    np.testing.assert_allclose(got, [[1.0, 1.5], [0.5, 0.5]])
