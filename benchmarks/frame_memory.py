"""Frame memory: bytes per transition of 84x84x4 uint8 frame stacks, stored whole and frames-once.

The same synthetic Atari-like episodes (a new random 84x84 frame per step, episodes of 1,000
steps, a reset stack repeating its first frame as Gymnasium's frame stacking pads it) fill
three memories of ``capacity`` transitions: coachrl's ``ReplayBuffer`` (s and s' stored whole),
coachrl's ``FrameReplay`` (each distinct frame once, frame indices per transition) and SB3's
``ReplayBuffer(optimize_memory_usage=True)`` (s once, s' read from the next slot). Bytes are
those the memory's arrays allocate once full (numpy ``nbytes``, frame store blocks included),
divided by the transitions held; the 1M figure multiplies by 1M. The rule: frames-once holds
1M transitions in at most 7.5 GB (SB3's optimised buffer: about 7 GB for single frames per
env, 28 GB for stacks). Insert rates (one transition per call) show what the hashing costs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from benchmarks.common import Options, Ratio, Report, Verdict, interleaved

TITLE = "Frame memory: bytes per transition of 84x84x4 uint8 stacks"
CASE = "84x84x4 uint8 stacks"
BYTES, RATE = "bytes per transition", "inserts/s"
FRAMES_ONCE, WHOLE = "coachrl frames once", "coachrl whole observations"
SB3_OPTIMISED = "sb3 optimize_memory_usage"
STACK, SIZE, EPISODE = 4, 84, 1_000
ONE_MILLION, TARGET_GB = 1_000_000, 7.5


def _steps(count: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
    rng = np.random.default_rng(seed)
    frames: list[np.ndarray] = []
    for t in range(count):
        if t % EPISODE == 0:
            frames = [rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)] * STACK
        stack = np.stack(frames[-STACK:])
        frames.append(rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8))
        yield stack, np.stack(frames[-STACK:]), t % EPISODE == EPISODE - 1


def coachrl_memory(capacity: int, seed: int, frames_once: bool) -> tuple[float, float]:
    """(bytes per transition when full, inserts/s)."""
    from coachrl.memories import FrameReplay, ReplayBuffer, transition_columns

    columns = transition_columns(
        observation_shape=(STACK, SIZE, SIZE),
        observation_dtype=np.uint8,
        action_shape=(),
        action_dtype=np.int64,
    )
    memory = (
        FrameReplay(capacity=capacity, columns=columns)
        if frames_once
        else ReplayBuffer(capacity=capacity, columns=columns)
    )
    seconds = 0.0
    for s, n, end in _steps(capacity, seed):  # made one at a time: only the adds are timed
        row = {
            "observations": s[None],
            "next_observations": n[None],
            "actions": np.zeros(1, np.int64),
            "rewards": np.ones(1, np.float32),
            "terminated": np.array([float(end)], np.float32),
        }
        start = time.perf_counter()
        memory.add(row)
        seconds += time.perf_counter() - start
    rate = capacity / seconds
    held = (
        memory.nbytes
        if isinstance(memory, FrameReplay)
        else sum(array.nbytes for array in memory.storage.values())
    )
    return held / len(memory), rate


def sb3_memory(capacity: int, seed: int) -> tuple[float, float]:
    import gymnasium as gym
    from stable_baselines3.common.buffers import ReplayBuffer

    space = gym.spaces.Box(0, 255, (STACK, SIZE, SIZE), np.uint8)
    buffer = ReplayBuffer(
        capacity,
        space,
        gym.spaces.Discrete(4),
        device="cpu",
        optimize_memory_usage=True,
        handle_timeout_termination=False,
    )
    action, reward, infos = np.zeros((1, 1), np.int64), np.ones(1, np.float32), [{}]
    seconds = 0.0
    for s, n, end in _steps(capacity, seed):
        done = np.array([end])
        start = time.perf_counter()
        buffer.add(s[None], n[None], action, reward, done, infos)
        seconds += time.perf_counter() - start
    rate = capacity / seconds
    held = sum(
        getattr(buffer, name).nbytes
        for name in ("observations", "actions", "rewards", "dones", "timeouts")
    )
    return held / capacity, rate


def run(options: Options) -> Report:
    report = Report(TITLE)
    capacity = 5_000 if options.quick else 100_000
    repeats = 1 if options.quick else min(options.repeats, 3)

    def record(library: str, figures: tuple[float, float], repeat: int) -> None:
        report.add(CASE, library, BYTES, figures[0], repeat)
        report.add(CASE, library, RATE, figures[1], repeat)

    interleaved(
        repeats,
        {
            FRAMES_ONCE: lambda r: record(FRAMES_ONCE, coachrl_memory(capacity, r, True), r),
            WHOLE: lambda r: record(WHOLE, coachrl_memory(capacity, r, False), r),
            SB3_OPTIMISED: lambda r: record(SB3_OPTIMISED, sb3_memory(capacity, r), r),
        },
    )
    summarise(report, options.quick)
    report.notes.append(
        f"{capacity:,} transitions per memory; the 1M total is bytes per transition x 1M."
    )
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """The rule: frames-once bytes per transition x 1M <= 7.5 GB (every repeat's)."""
    del quick
    per_transition = [
        s.value for s in report.samples if s.library == FRAMES_ONCE and s.metric == BYTES
    ]
    worst = max(per_transition) if per_transition else float("nan")
    total = worst * ONE_MILLION / 1e9
    report.verdicts = [
        Verdict(
            CASE,
            "GB for 1M transitions",
            f"{worst:,.0f} bytes per transition: {total:.2f} GB",
            f"<= {TARGET_GB} GB",
            "met" if total <= TARGET_GB else "missed",
        )
    ]
    report.ratios = [
        Ratio(CASE, BYTES, FRAMES_ONCE, WHOLE, ""),
        Ratio(CASE, BYTES, FRAMES_ONCE, SB3_OPTIMISED, ""),
        Ratio(CASE, RATE, FRAMES_ONCE, WHOLE, ""),
    ]
