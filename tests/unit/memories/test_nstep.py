"""n-step transitions: hand-computed cases, a brute-force reference over random episodes of
several envs with terminations, truncations and NEXT_STEP reset steps, and checkpointing."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.memories import Column, NStepBuilder

COLUMNS = (Column(B.OBSERVATIONS, (2,)), Column(B.ACTIONS, (), np.int64))


def _builder(n: int, n_envs: int = 1, discount: float = 0.5) -> NStepBuilder:
    return NStepBuilder(n=n, discount=discount, n_envs=n_envs, columns=COLUMNS)


def _step(builder: NStepBuilder, t: float, reward: float, *, terminated: bool = False,
          truncated: bool = False, valid: bool = True) -> dict[str, np.ndarray]:
    """One step of one env: observation [t, t], action t, next observation [t + 1, t + 1]."""
    return builder.add(
        {B.OBSERVATIONS: np.full((1, 2), t, np.float32), B.ACTIONS: np.array([int(t)])},
        rewards=np.array([reward], np.float32),
        next_observations=np.full((1, 2), t + 1, np.float32),
        terminated=np.array([terminated]), truncated=np.array([truncated]),
        valid=np.array([valid]))


def test_three_step_returns_by_hand() -> None:
    builder = _builder(3)
    assert len(_step(builder, 0, 1.0)[B.REWARDS]) == 0
    assert len(_step(builder, 1, 2.0)[B.REWARDS]) == 0
    out = _step(builder, 2, 4.0)  # window full: the step of t=0 leaves
    np.testing.assert_allclose(out[B.REWARDS], [1 + 0.5 * 2 + 0.25 * 4])
    np.testing.assert_array_equal(out[B.OBSERVATIONS], [[0, 0]])
    np.testing.assert_array_equal(out[B.NEXT_OBSERVATIONS], [[3, 3]])  # s_{t+3}
    np.testing.assert_array_equal(out[B.TERMINATED], [0])
    np.testing.assert_allclose(out[B.DISCOUNTS], [0.125])
    out = _step(builder, 3, 8.0, terminated=True)  # t=1, 2, 3 leave; no bootstrap
    np.testing.assert_array_equal(out[B.ACTIONS], [1, 2, 3])
    np.testing.assert_allclose(out[B.REWARDS], [2 + 0.5 * 4 + 0.25 * 8, 4 + 0.5 * 8, 8])
    np.testing.assert_array_equal(out[B.NEXT_OBSERVATIONS], [[4, 4]] * 3)
    np.testing.assert_array_equal(out[B.TERMINATED], [1, 1, 1])
    assert builder.pending() == 0


def test_truncation_bootstraps_from_the_final_observation_with_gamma_to_the_m() -> None:
    builder = _builder(3)
    _step(builder, 0, 1.0)
    out = _step(builder, 1, 1.0, truncated=True)
    np.testing.assert_array_equal(out[B.TERMINATED], [0, 0])
    np.testing.assert_allclose(out[B.DISCOUNTS], [0.25, 0.5])  # m = 2 and 1 steps to s_T
    np.testing.assert_array_equal(out[B.NEXT_OBSERVATIONS], [[2, 2], [2, 2]])
    np.testing.assert_allclose(out[B.REWARDS], [1.5, 1.0])


def test_a_reset_step_is_no_step_and_episodes_do_not_mix() -> None:
    builder = _builder(2)
    _step(builder, 0, 1.0, terminated=True)
    assert len(_step(builder, 9, 100.0, valid=False)[B.REWARDS]) == 0  # NEXT_STEP reset
    assert len(_step(builder, 10, 1.0)[B.REWARDS]) == 0
    out = _step(builder, 11, 1.0)
    np.testing.assert_array_equal(out[B.ACTIONS], [10])  # the new episode's first step
    np.testing.assert_allclose(out[B.REWARDS], [1.5])


def _reference(episodes: list[list[tuple[int, float]]], n: int, gamma: float,
               ends: list[str]) -> set[tuple]:
    """Every n-step transition of every episode, from first principles."""
    found = set()
    for steps, end in zip(episodes, ends, strict=True):
        rewards = [r for _, r in steps]
        for t in range(len(steps)):
            m = min(n, len(steps) - t)
            ret = sum(gamma ** k * rewards[t + k] for k in range(m))
            terminated = end == "terminated" and t + m == len(steps)
            found.add((steps[t][0], round(ret, 4), float(terminated), round(gamma ** m, 6)))
    return found


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_random_episodes_of_four_envs_match_a_brute_force_reference(n: int) -> None:
    rng, gamma, n_envs = np.random.default_rng(n), 0.9, 4
    builder = NStepBuilder(n=n, discount=gamma, n_envs=n_envs, columns=COLUMNS)
    episodes: list[list[tuple[int, float]]] = []
    ends: list[str] = []
    current: list[list[tuple[int, float]]] = [[] for _ in range(n_envs)]
    resetting = np.zeros(n_envs, bool)
    got = set()
    next_id = 0
    for _ in range(400):
        ids = np.arange(next_id, next_id + n_envs)
        next_id += n_envs
        rewards = rng.normal(size=n_envs).astype(np.float32)
        terminated = rng.random(n_envs) < 0.06
        truncated = ~terminated & (rng.random(n_envs) < 0.04)
        valid = ~resetting
        out = builder.add({B.OBSERVATIONS: np.repeat(ids[:, None], 2, 1).astype(np.float32),
                           B.ACTIONS: ids}, rewards=rewards,
                          next_observations=np.zeros((n_envs, 2), np.float32),
                          terminated=terminated, truncated=truncated, valid=valid)
        for env in range(n_envs):
            if valid[env]:
                current[env].append((int(ids[env]), float(rewards[env])))
                if terminated[env] or truncated[env]:
                    episodes.append(current[env])
                    ends.append("terminated" if terminated[env] else "truncated")
                    current[env] = []
        resetting = valid & (terminated | truncated)
        got |= {(int(a), round(float(r), 4), float(d), round(float(g), 6)) for a, r, d, g in
                zip(out[B.ACTIONS], out[B.REWARDS], out[B.TERMINATED], out[B.DISCOUNTS],
                    strict=True)}
    # steps of unfinished episodes still wait, except those already n steps from the end
    for steps in current:
        for t in range(len(steps) - n + 1 if len(steps) >= n else 0):
            got.discard(next(x for x in got if x[0] == steps[t][0]))
    assert got == _reference(episodes, n, gamma, ends)
    assert len(episodes) > 40


def test_the_windows_survive_a_checkpoint() -> None:
    rng = np.random.default_rng(0)
    steps = [(rng.normal(size=3).astype(np.float32), rng.random(3) < 0.1) for _ in range(60)]

    def run(builder: NStepBuilder, part: list) -> list[np.ndarray]:
        outputs = []
        for rewards, terminated in part:
            out = builder.add({B.OBSERVATIONS: np.zeros((3, 2), np.float32),
                               B.ACTIONS: np.arange(3)}, rewards=rewards,
                              next_observations=np.zeros((3, 2), np.float32),
                              terminated=terminated, truncated=np.zeros(3, bool),
                              valid=np.ones(3, bool))
            outputs.append(out[B.REWARDS])
        return outputs

    straight = run(NStepBuilder(n=4, discount=0.9, n_envs=3, columns=COLUMNS), steps)
    first = NStepBuilder(n=4, discount=0.9, n_envs=3, columns=COLUMNS)
    head = run(first, steps[:23])
    assert first.pending() > 0
    second = NStepBuilder(n=4, discount=0.9, n_envs=3, columns=COLUMNS)
    second.load_state_dict(first.state_dict())
    tail = run(second, steps[23:])
    for a, b in zip(straight, head + tail, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_checkpoint_of_another_n_is_refused() -> None:
    from coachrl.errors import CheckpointError

    state = _builder(3).state_dict()
    with pytest.raises(CheckpointError, match="n=3 over 1 envs; this run has n=2"):
        _builder(2).load_state_dict(state)
