"""Replay: insert and sample rates at 1M capacity, uniform (coachrl against SB3) and prioritised.

Inserts are one transition per call (a 1-env loop stores every step) of CartPole-sized data;
samples are batches of 64 from a full 1M buffer. coachrl's sample returns numpy arrays (the
backend moves them to torch in the update); SB3's returns torch tensors, conversion included.
SB3 has no prioritised buffer, so coachrl's prioritised rates (sample plus the priority update
that follows each sample) are reported against its own uniform buffer.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import COACHRL, SB3, Options, Ratio, Report, Verdict, interleaved

TITLE = "Replay: insert and sample rates at 1M capacity (CartPole transitions)"
CAPACITY = 1_000_000
INSERT, SAMPLE = "insert (1 per call)", "sample (batch 64)"
SAMPLE_256 = "sample (batch 256) + priority update, 1M entries"
PRIORITISED = "coachrl prioritised"
TARGET_US = 200.0  # issue #16: a prioritised batch of 256 from 1M with its update, in us


def _coachrl_buffer(capacity: int, prioritised: bool) -> object:
    from coachrl.memories import PrioritizedReplay, ReplayBuffer, transition_columns

    layout = {
        "capacity": capacity,
        "columns": transition_columns(
            observation_shape=(4,),
            observation_dtype=np.float32,
            action_shape=(),
            action_dtype=np.int64,
        ),
    }
    return PrioritizedReplay(**layout) if prioritised else ReplayBuffer(**layout)


def coachrl_rates(
    capacity: int, inserts: int, samples: int, seed: int, prioritised: bool = False
) -> tuple[float, float]:
    buffer = _coachrl_buffer(capacity, prioritised)
    rng = np.random.default_rng(seed)
    observation = rng.normal(size=(1, 4)).astype(np.float32)
    row = {
        "observations": observation,
        "next_observations": observation,
        "actions": np.zeros(1, np.int64),
        "rewards": np.ones(1, np.float32),
        "terminated": np.zeros(1, np.float32),
    }
    start = time.perf_counter()
    for _ in range(inserts):
        buffer.add(row)
    insert_rate = inserts / (time.perf_counter() - start)
    chunk = {k: np.repeat(v, 100_000, axis=0) for k, v in row.items()}
    while len(buffer) < capacity:
        buffer.add(chunk)
    errors = rng.random(64)
    start = time.perf_counter()
    for _ in range(samples):
        batch = buffer.sample(64, rng)
        if prioritised:
            buffer.update_priorities(batch["indices"], errors)
    return insert_rate, samples / (time.perf_counter() - start)


def prioritised_batch_us(buffer: object, samples: int, seed: int) -> float:
    """Microseconds per batch of 256 sampled from a full prioritised buffer with varied
    priorities, each followed by its priority update (a learner's step)."""
    rng = np.random.default_rng(seed)
    errors = rng.random(256)
    start = time.perf_counter()
    for _ in range(samples):
        batch = buffer.sample(256, rng)  # type: ignore[attr-defined]
        buffer.update_priorities(batch["indices"], errors)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / samples * 1e6


def sb3_rates(capacity: int, inserts: int, samples: int, seed: int) -> tuple[float, float]:
    import gymnasium as gym
    from stable_baselines3.common.buffers import ReplayBuffer

    observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    buffer = ReplayBuffer(capacity, observation_space, gym.spaces.Discrete(2), device="cpu")
    rng = np.random.default_rng(seed)
    observation = rng.normal(size=(1, 4)).astype(np.float32)
    action, reward, done = np.zeros((1, 1), np.int64), np.ones(1, np.float32), np.zeros(1)
    infos = [{}]
    start = time.perf_counter()
    for _ in range(inserts):
        buffer.add(observation, observation, action, reward, done, infos)
    insert_rate = inserts / (time.perf_counter() - start)
    buffer.observations[:] = observation  # fill the rest at once, so its pages are real
    buffer.next_observations[:] = observation
    buffer.full, buffer.pos = True, 0
    start = time.perf_counter()
    for _ in range(samples):
        buffer.sample(64)
    return insert_rate, samples / (time.perf_counter() - start)


def run(options: Options) -> Report:
    report = Report(TITLE)
    repeats = 1 if options.quick else options.repeats
    capacity = 200_000 if options.quick else CAPACITY
    inserts, samples = (2_000, 500) if options.quick else (100_000, 20_000)

    def record(library: str, rates: tuple[float, float], repeat: int) -> None:
        report.add(INSERT, library, "transitions/s", rates[0], repeat)
        report.add(SAMPLE, library, "batches/s", rates[1], repeat)

    big = _coachrl_buffer(capacity, prioritised=True)  # 1M entries of varied priorities
    chunk = {key: np.zeros((100_000, *shape), dtype) for key, shape, dtype in (
        ("observations", (4,), np.float32), ("next_observations", (4,), np.float32),
        ("actions", (), np.int64), ("rewards", (), np.float32), ("terminated", (), np.float32))}
    fill = np.random.default_rng(0)
    while len(big) < capacity:
        big.add(chunk, priorities=fill.random(100_000))  # type: ignore[attr-defined]

    interleaved(
        repeats,
        {
            PRIORITISED + " 256": lambda r: report.add(
                SAMPLE_256, PRIORITISED, "us per batch", prioritised_batch_us(big, samples // 4, r),
                r),
            COACHRL: lambda r: record(COACHRL, coachrl_rates(capacity, inserts, samples, r), r),
            SB3: lambda r: record(SB3, sb3_rates(capacity, inserts, samples, r), r),
            PRIORITISED: lambda r: record(
                PRIORITISED, coachrl_rates(capacity, inserts, samples, r, prioritised=True), r
            ),
        },
    )
    summarise(report)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """No targets: ratios to SB3 and of prioritised to uniform replay."""
    report.ratios = [
        Ratio(INSERT, "transitions/s", COACHRL, SB3, ""),
        Ratio(SAMPLE, "batches/s", COACHRL, SB3, ""),
        Ratio(INSERT, "transitions/s", PRIORITISED, COACHRL, ""),
        Ratio(SAMPLE, "batches/s", PRIORITISED, COACHRL, ""),
    ]
    report.notes.append("prioritised sample = sample(64) + update_priorities(64 TD errors)")
    times = [s.value for s in report.samples if s.case == SAMPLE_256]
    if times:
        median = float(np.median(times))
        report.verdicts.append(Verdict(
            SAMPLE_256, "us per batch", f"median {median:.0f} us over {len(times)} repeats "
            f"({min(times):.0f}-{max(times):.0f})", f"<= {TARGET_US:.0f} us (an absolute target, "
            "not a paired ratio: there is no reference library)",
            "met" if median <= TARGET_US else "missed"))
