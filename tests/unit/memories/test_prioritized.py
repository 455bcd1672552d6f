"""Prioritised replay: sum-tree invariants, sampling proportional to p^alpha, IS weights."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.memories import PrioritizedReplay, SumTree, transition_columns


def _transitions(count: int, offset: int = 0) -> dict[str, np.ndarray]:
    return {
        B.OBSERVATIONS: np.arange(offset, offset + count, dtype=np.float32)[:, None],
        B.NEXT_OBSERVATIONS: np.zeros((count, 1), np.float32),
        B.ACTIONS: np.zeros(count, np.int64),
        B.REWARDS: np.zeros(count, np.float32),
        B.TERMINATED: np.zeros(count, np.float32),
    }


def _memory(capacity: int, alpha: float = 0.6) -> PrioritizedReplay:
    return PrioritizedReplay(capacity=capacity, priority_exponent=alpha, columns=transition_columns(
        observation_shape=(1,), observation_dtype=np.float32, action_shape=(),
        action_dtype=np.int64))


@pytest.mark.parametrize("capacity", [1, 5, 8, 1000, 20_000])  # the last past the jump
def test_every_kept_node_is_the_sum_of_its_children(capacity: int) -> None:
    """Levels from ``jump`` down are kept (a search starts there); the total is their sum."""
    tree, rng = SumTree(capacity), np.random.default_rng(0)
    for _ in range(50):
        tree.update(rng.integers(0, capacity, 7), rng.random(7))
    nodes = np.arange(1 << tree.jump, tree.leaves)
    np.testing.assert_allclose(tree.tree[nodes], tree.tree[2 * nodes] + tree.tree[2 * nodes + 1])
    assert tree.total == pytest.approx(tree.tree[tree.leaves:].sum())


def test_a_repeated_index_keeps_its_last_priority() -> None:
    tree = SumTree(4)
    tree.update(np.array([2, 2, 2]), np.array([5.0, 1.0, 3.0]))
    assert tree.priorities(np.array([2]))[0] == 3.0
    assert tree.total == pytest.approx(3.0)


def test_find_maps_cumulative_mass_to_leaves() -> None:
    tree = SumTree(4)
    tree.update(np.arange(4), np.array([1.0, 2.0, 3.0, 4.0]))  # cumulative: 1, 3, 6, 10
    np.testing.assert_array_equal(tree.find(np.array([0.0, 0.99, 1.0, 2.9, 3.0, 5.99, 6.0, 9.9])),
                                  [0, 0, 1, 1, 2, 2, 3, 3])


@pytest.mark.parametrize("capacity", [3, 4_096, 5_000, 70_000])  # below, at and past the jump
def test_find_agrees_with_a_search_of_the_whole_cumulative_sum(capacity: int) -> None:
    tree, rng = SumTree(capacity), np.random.default_rng(capacity)
    priorities = rng.random(capacity) * (rng.random(capacity) < 0.7)  # zeros are never found
    tree.update(np.arange(capacity), priorities)
    masses = np.sort(rng.random(500)) * tree.total
    bounds = np.cumsum(priorities)
    expected = np.searchsorted(bounds, masses, side="right")
    found = tree.find(masses)
    away = np.abs(bounds[np.minimum(expected, capacity - 1)] - masses) > 1e-9 * tree.total
    np.testing.assert_array_equal(found[away], expected[away])  # away from rounding ties
    assert (priorities[found] > 0).all()


def test_sampling_frequency_follows_priority_to_the_alpha() -> None:
    memory, rng = _memory(capacity=8), np.random.default_rng(1)
    memory.add(_transitions(4))
    memory.update_priorities(np.arange(4), np.array([1.0, 2.0, 3.0, 4.0]))
    counts = np.zeros(8)
    for _ in range(3000):
        np.add.at(counts, memory.sample(16, rng)[B.INDICES], 1)
    expected = (np.arange(1, 5) + 1e-6) ** 0.6
    np.testing.assert_allclose(counts[:4] / counts.sum(), expected / expected.sum(), atol=0.01)
    assert counts[4:].sum() == 0, "empty slots are never sampled"


def test_importance_weights_are_normalised_inverse_probabilities() -> None:
    memory = _memory(capacity=4, alpha=1.0)
    memory.add(_transitions(2))
    memory.update_priorities(np.arange(2), np.array([1.0, 3.0]))
    batch = memory.sample(64, np.random.default_rng(2), importance_exponent=1.0)
    probabilities = np.where(batch[B.INDICES] == 0, 0.25, 0.75)
    expected = (2 * probabilities) ** -1.0
    np.testing.assert_allclose(batch[B.WEIGHTS], expected / expected.max(), rtol=1e-5)


def test_new_transitions_get_the_largest_priority_seen() -> None:
    memory = _memory(capacity=4, alpha=1.0)
    memory.add(_transitions(1))
    memory.update_priorities(np.array([0]), np.array([9.0]))
    memory.add(_transitions(1, offset=1))
    assert memory.tree.priorities(np.array([1]))[0] == pytest.approx(9.0, rel=1e-5)


def test_wrap_around_overwrites_the_oldest_slot_and_its_priority() -> None:
    memory = _memory(capacity=3, alpha=1.0)
    memory.add(_transitions(3))
    memory.update_priorities(np.arange(3), np.array([1.0, 1.0, 7.0]))
    memory.add(_transitions(1, offset=10))
    assert memory.storage[B.OBSERVATIONS][0, 0] == 10.0
    assert memory.tree.priorities(np.array([0]))[0] == pytest.approx(7.0, rel=1e-5)


def test_state_round_trip_keeps_priorities() -> None:
    memory = _memory(capacity=6)
    memory.add(_transitions(5))
    memory.update_priorities(np.arange(5), np.arange(5.0))
    restored = _memory(capacity=6)
    restored.load_state_dict(memory.state_dict())
    np.testing.assert_allclose(restored.tree.tree, memory.tree.tree)
    assert restored.max_priority == memory.max_priority
