"""Atari pipeline: env steps/s of Atari_DQN acting (no training) against the raw preprocessed ALE
env on one core, and the bytes per transition of the preset's replay memory (issue #18).

Acting, the same work on both sides, one env, one process, one thread, interleaved (ABBA) over
repeats:

- raw: one ALE/Pong-v5 env through coachrl's own pipeline (``make_env`` with the preset's
  ``env``: ``frameskip=1``, DeepMind's ``AtariPreprocessing``, lost lives ending episodes, reward
  signs, a stack of 4 frames), stepped with uniformly random actions drawn in advance, reset
  when an episode ends (timed, not counted);
- coachrl: the Atari_DQN preset's ``Trainer`` loop (adapter step, the Nature network's forward
  pass and e-greedy, storing every transition in the preset's frames-once replay) with no
  heatup and ``learning_starts`` beyond the budget, so no gradient step; epsilon held at the
  preset's final 0.01 (its value for 9M of the 10M env steps). The adapter's next-step reset
  spends a step per episode end that it does not count; raw's reset is timed and not counted.

Memory: the preset's own replay (its agent's ``FrameReplay``, 100k transitions) filled to
capacity through ``agent.store`` with frame_memory's synthetic episodes (every frame new: the
worst case for a store that keeps each distinct frame once); bytes are the arrays the memory
allocates plus the Python objects its frame store keeps (digest dict, lists, digests), over
the transitions held. Rule: x 1M <= 7.5 GB (7.5e9 bytes).
"""

from __future__ import annotations

import sys
import tempfile
import time
from typing import Any

import numpy as np

from benchmarks.common import Options, Ratio, Report, Verdict, coachrl_trainer, interleaved

TITLE = "Atari pipeline: Atari_DQN acting vs the raw preprocessed ALE env (Pong), replay bytes"
PRESET = "Atari_DQN"
ACTING, MEMORY = "Pong, 1 env", "replay, 84x84x4 uint8 stacks"
RATE = "env steps/s"
RAW = "raw env (random actions)"
NUMPY, TORCH = "coachrl Atari_DQN (numpy acting)", "coachrl Atari_DQN (torch acting)"
REPLAY = "coachrl Atari_DQN replay"
ARRAYS, TOTAL = "bytes per transition (arrays)", "bytes per transition (arrays + Python objects)"
STEPS, QUICK_STEPS = 4_000, 150  # env steps per measurement
CAPACITY, QUICK_CAPACITY = 100_000, 2_000  # the preset's replay capacity; quick: a small one
FINAL_EPSILON = 0.01  # the preset's e-greedy end value
TARGET = 0.8  # issue #18: coachrl's acting rate >= 0.8 x the raw env's (paired median)
ONE_MILLION, TARGET_BYTES = 1_000_000, 7.5e9


def raw_rate(steps: int, seed: int) -> float:
    """Env steps/s of one env of the preset's pipeline under uniformly random actions."""
    from coachrl.environments.gym_env import make_env
    from coachrl.registry import load_preset

    env = make_env(load_preset(PRESET).env, training=True)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, env.action_space.n, size=steps)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def acting_overrides(steps: int, seed: int, backend: str) -> list[str]:
    """Atari_DQN acting from its first step, at its final epsilon, never training."""
    return [
        "schedule.heatup_steps=0",
        f"agent.algorithm.learning_starts={2 * steps + 1_000_000}",
        f"agent.exploration.schedule={FINAL_EPSILON}",
        f"agent.inference_backend={backend}",
        f"schedule.improve_steps={steps}",
        "schedule.evaluation_episodes=1",  # the evaluation env is built, never stepped
        f"run.seed={seed}",
    ]


def coachrl_rate(steps: int, seed: int, backend: str) -> float:
    """Env steps/s of the preset's training loop, acting and storing, by its own clock."""
    with tempfile.TemporaryDirectory() as workdir:
        trainer = coachrl_trainer(PRESET, acting_overrides(steps, seed, backend), workdir)
        outcome = trainer.run()
        assert trainer.agent.train_steps == 0, "the acting benchmark must not train"
    return outcome.counters.env_steps / outcome.counters.wall_time


def python_bytes(store: Any) -> int:
    """Bytes of the Python objects a ``FrameStore`` keeps beside its arrays: the digest-to-slot
    dict, the digest, free-slot and block lists, and each distinct object they hold."""
    containers = (store.slot_of, store.digests, store.free, store.blocks)
    held: dict[int, Any] = {}
    for item in (*store.slot_of, *store.slot_of.values(), *store.digests, *store.free):
        held[id(item)] = item
    return sum(sys.getsizeof(c) for c in containers) + sum(map(sys.getsizeof, held.values()))


def replay_bytes(capacity: int, seed: int) -> tuple[float, float]:
    """(array bytes, array + Python bytes) per transition of the preset's replay, once full."""
    from benchmarks.frame_memory import _steps
    from coachrl.core import batch as B

    with tempfile.TemporaryDirectory() as workdir:
        trainer = coachrl_trainer(
            PRESET, [f"agent.memory.capacity={capacity}", f"run.seed={seed}"], workdir
        )
        agent, memory = trainer.agent, trainer.agent.memory
        for s, n, end in _steps(capacity, seed):  # one transition per call, as 1 env stores
            agent.store(
                {
                    B.OBSERVATIONS: s[None],
                    B.NEXT_OBSERVATIONS: n[None],
                    B.ACTIONS: np.zeros(1, np.int64),
                    B.REWARDS: np.ones(1, np.float32),
                    B.TERMINATED: np.array([float(end)], np.float32),
                },
                env_steps=1,
            )
        arrays = memory.nbytes
        total = arrays + python_bytes(memory.frames)
        held = len(memory)
        trainer.env.close()
        trainer.eval_env.close()
    return arrays / held, total / held


def run(options: Options) -> Report:
    report = Report(TITLE)
    steps = QUICK_STEPS if options.quick else STEPS

    def measure(library: str, rate: Any) -> Any:
        return lambda repeat: report.add(ACTING, library, RATE, rate(steps, repeat), repeat)

    interleaved(
        1 if options.quick else options.repeats,
        {
            RAW: measure(RAW, raw_rate),
            NUMPY: measure(NUMPY, lambda s, r: coachrl_rate(s, r, "numpy")),
            TORCH: measure(TORCH, lambda s, r: coachrl_rate(s, r, "torch")),
        },
    )
    arrays, total = replay_bytes(QUICK_CAPACITY if options.quick else CAPACITY, 0)
    report.add(MEMORY, REPLAY, ARRAYS, arrays, 0)  # exact: one fill is enough
    report.add(MEMORY, REPLAY, TOTAL, total, 0)
    summarise(report, options.quick)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """Rules of issue #18, fixed before the first run: the preset's acting (numpy, its default
    backend) at least 0.8 of the raw env's env steps/s (paired median over repeats); its replay
    holds 1M transitions in at most 7.5e9 bytes, Python objects included. Torch acting is
    reported beside it with no rule."""
    report.ratios = [
        Ratio(ACTING, RATE, NUMPY, RAW, f">= {TARGET}", lambda r: r >= TARGET),
        Ratio(ACTING, RATE, TORCH, RAW, ""),
    ]
    report.verdicts = [_memory_verdict(report)]
    report.notes = [
        f"Acting: {QUICK_STEPS if quick else STEPS:,} env steps per measurement, one env, one "
        f"thread; coachrl acts from its first step at epsilon {FINAL_EPSILON} (the preset's "
        "final value), stores every transition in its replay and never trains.",
        f"Replay: the preset's memory at {QUICK_CAPACITY if quick else CAPACITY:,} transitions, "
        "filled with synthetic episodes (a new random frame per step, 1,000-step episodes: "
        "every frame distinct, the worst case); 1M = bytes per transition x 1M.",
    ]


def _memory_verdict(report: Report) -> Verdict:
    per_transition = [s.value for s in report.samples if s.metric == TOTAL]
    worst = max(per_transition) if per_transition else float("nan")
    arrays = max((s.value for s in report.samples if s.metric == ARRAYS), default=float("nan"))
    total = worst * ONE_MILLION
    return Verdict(
        MEMORY,
        "bytes for 1M transitions",
        f"{total:,.0f} bytes ({worst:,.0f} per transition, of which arrays {arrays:,.0f}): "
        f"{total / 1e9:.2f} GB",
        f"<= {TARGET_BYTES:,.0f} bytes (7.5 GB)",
        "met" if total <= TARGET_BYTES else "missed",
    )
