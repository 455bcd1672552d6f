"""Frame-efficient replay: the observations that come out are the ones that went in (both
stack axes, one-step and n-step, uniform and prioritised), each distinct frame is stored once,
frames are freed with the transitions that used them, and the state survives a checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.memories import (
    Column,
    FrameReplay,
    NStepBuilder,
    PrioritizedFrameReplay,
    ReplayBuffer,
    transition_columns,
)
from coachrl.runtime.checkpoint import read_checkpoint, write_checkpoint

K, H, W = 4, 6, 5


def _columns(stack_axis: int) -> tuple[Column, ...]:
    shape = (K, H, W) if stack_axis == 0 else (H, W, K)
    return transition_columns(observation_shape=shape, observation_dtype=np.uint8,
                              action_shape=(), action_dtype=np.int64)


def _episodes(count: int, length: int, seed: int = 0):
    """Steps of frame-stacked episodes: each new frame random, a reset stack repeats its first
    frame (Gymnasium's padding); yields (stack, next stack, reward, terminated)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        frames = [rng.integers(0, 256, (H, W), dtype=np.uint8)] * K
        for t in range(length):
            stack = np.stack(frames[-K:])
            frames.append(rng.integers(0, 256, (H, W), dtype=np.uint8))
            yield stack, np.stack(frames[-K:]), float(t), t == length - 1


def _transitions(steps, stack_axis: int) -> dict[str, np.ndarray]:
    stacks, nexts, rewards, ends = zip(*steps, strict=True)
    move = (lambda a: a) if stack_axis == 0 else (lambda a: np.moveaxis(a, 1, -1))
    return {B.OBSERVATIONS: move(np.stack(stacks)), B.NEXT_OBSERVATIONS: move(np.stack(nexts)),
            B.ACTIONS: np.arange(len(rewards)), B.REWARDS: np.array(rewards, np.float32),
            B.TERMINATED: np.array(ends, np.float32)}


@pytest.mark.parametrize("stack_axis", [0, -1])
def test_what_comes_out_is_what_went_in(stack_axis: int) -> None:
    frames = FrameReplay(capacity=500, columns=_columns(stack_axis), stack_axis=stack_axis)
    plain = ReplayBuffer(capacity=500, columns=_columns(stack_axis))
    transitions = _transitions(list(_episodes(6, 50)), stack_axis)
    for start in range(0, 300, 37):  # in uneven chunks
        chunk = {k: v[start:start + 37] for k, v in transitions.items()}
        frames.add(chunk)
        plain.add(chunk)
    a = frames.sample(256, np.random.default_rng(1))
    b = plain.sample(256, np.random.default_rng(1))
    for key in b:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    # each distinct frame once: 50 new frames per episode plus its first, 6 episodes
    assert len(frames.frames) == 6 * 51


def test_n_step_transitions_share_frames_too() -> None:
    builder = NStepBuilder(n=3, discount=0.9, n_envs=1,
                           columns=[c for c in _columns(0) if c.name in (B.OBSERVATIONS,
                                                                           B.ACTIONS)])
    memory = FrameReplay(capacity=400, columns=(*_columns(0), Column(B.DISCOUNTS)))
    plain = ReplayBuffer(capacity=400, columns=(*_columns(0), Column(B.DISCOUNTS)))
    for index, (stack, next_stack, reward, end) in enumerate(_episodes(4, 40, seed=2)):
        out = builder.add({B.OBSERVATIONS: stack[None], B.ACTIONS: np.array([index])},
                          rewards=np.array([reward], np.float32),
                          next_observations=next_stack[None], terminated=np.array([end]),
                          truncated=np.array([False]), valid=np.array([True]))
        memory.add(out)
        plain.add(out)
    a = memory.sample(128, np.random.default_rng(0))
    b = plain.sample(128, np.random.default_rng(0))
    for key in b:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert len(memory.frames) == 4 * 41


def test_frames_are_freed_with_the_transitions_that_used_them() -> None:
    memory = FrameReplay(capacity=100, columns=_columns(0))
    for step in _episodes(40, 25, seed=3):  # 1,000 transitions through a memory of 100
        memory.add(_transitions([step], 0))
        assert len(memory.frames) <= 100 + 2 * K  # s' and the stacks of the oldest transitions
    assert len(memory.frames.blocks) == 1  # freed slots are reused: the store never grew


def test_prioritised_frame_replay_samples_with_weights() -> None:
    memory = PrioritizedFrameReplay(capacity=200, columns=_columns(0), priority_exponent=0.6)
    transitions = _transitions(list(_episodes(2, 60)), 0)
    memory.add(transitions)
    batch = memory.sample(32, np.random.default_rng(0))
    np.testing.assert_array_equal(batch[B.OBSERVATIONS], transitions[B.OBSERVATIONS][
        batch[B.INDICES]])
    assert batch[B.WEIGHTS].max() == 1.0
    memory.update_priorities(batch[B.INDICES], np.linspace(0, 5, 32))


def test_the_state_survives_a_checkpoint(tmp_path: Path) -> None:
    memory = PrioritizedFrameReplay(capacity=150, columns=_columns(-1), stack_axis=-1)
    for step in _episodes(8, 30, seed=4):  # wraps
        memory.add(_transitions([step], -1))
    written = write_checkpoint(tmp_path, "ckpt", {"memory": memory.state_dict()},
                               header={"kind": "test"})
    restored = PrioritizedFrameReplay(capacity=150, columns=_columns(-1), stack_axis=-1)
    restored.load_state_dict(read_checkpoint(written)[1]["memory"])
    a = memory.sample(64, np.random.default_rng(5))
    b = restored.sample(64, np.random.default_rng(5))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert len(restored.frames) == len(memory.frames)
    more = _transitions(list(_episodes(1, 30, seed=9)), -1)  # and it goes on working
    memory.add(more)
    restored.add(more)
    for key, value in memory.sample(64, np.random.default_rng(6)).items():
        np.testing.assert_array_equal(restored.sample(64, np.random.default_rng(6))[key], value)


def test_frame_storage_of_a_vector_observation_is_refused() -> None:
    columns = transition_columns(observation_shape=(4,), observation_dtype=np.float32,
                                 action_shape=(), action_dtype=np.int64)
    with pytest.raises(ConfigError, match="needs stacked images"):
        FrameReplay(capacity=10, columns=columns)


@pytest.mark.parametrize("memory_class", [FrameReplay, PrioritizedFrameReplay])
def test_a_million_atari_stacks_never_allocate_their_pixels(
        memory_class: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stacks' columns are frame indices from the start: 1M stacks of 4 84x84 frames as
    pixels would be 26 GiB, which a machine with less memory refuses to map."""
    allocated: list[tuple[int, ...]] = []
    allocate = Column.allocate
    monkeypatch.setattr(Column, "allocate", lambda column, rows: (
        allocated.append(column.shape), allocate(column, rows))[1])
    columns = transition_columns(observation_shape=(4, 84, 84), observation_dtype=np.uint8,
                                 action_shape=(), action_dtype=np.int64)
    memory = memory_class(capacity=1_000_000, columns=columns)
    assert allocated and (4, 84, 84) not in allocated
    assert memory.storage[B.OBSERVATIONS].shape == (1_000_000, 4)
    assert memory.nbytes < 100 * 2**20
