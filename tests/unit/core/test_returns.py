"""GAE over [T, N] arrays against hand-computed values (gamma = lambda = 0.5, decay 0.25)."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core.returns import compute_gae, n_step_targets

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


def test_one_step_targets_bootstrap_unless_terminated() -> None:
    targets = n_step_targets(rewards=np.array([1.0, 1.0]), next_values=np.array([4.0, 4.0]),
                             terminated=np.array([False, True]), discount=0.5)
    np.testing.assert_allclose(targets, [3.0, 1.0])
