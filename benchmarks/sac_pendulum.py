"""SAC on Pendulum-v1, RL-zoo hyperparameters: training env steps/s and the final return.

coachrl runs its ``Pendulum_SAC`` preset, SB3 its ``SAC("MlpPolicy")`` with the same values:
20k env steps, learning rate 1e-3 and SB3's defaults for the rest (replay 1M, batch 256, tau
0.005, gamma 0.99, one gradient step per env step after 100 random ones, temperature tuned
from 1.0 toward entropy -1, 256-256 ReLU actor and twin critics, Adam eps 1e-8). Training
throughput is env steps over the training wall time (building the model and the final
evaluation excluded); the final return is the mean of 10 deterministic episodes played side
by side by one shared harness after training. The target is >= 1.2x SB3's training env
steps/s at an equal or better final return.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.common import COACHRL, SB3, Options, Ratio, Report, coachrl_trainer, interleaved
from benchmarks.threshold import EvalClock, Protocol

TITLE = "SAC Pendulum-v1 (20k steps): training env steps/s and final return"
STEPS, QUICK_STEPS = 20_000, 300
SPEED_TARGET = 1.2
CASE = "Pendulum-v1"


def _final_return(policy: Any, seed: int, steps: int) -> float:
    """Mean return of 10 deterministic episodes (one shared harness for both libraries)."""
    clock = EvalClock(Protocol(env_id=CASE, threshold=0.0, budget=steps, eval_period=steps), seed)
    returns, _ = clock.returns(policy)
    clock.close()
    return float(returns.mean())


def run_coachrl(seed: int, steps: int) -> tuple[float, float]:
    """(training env steps/s, final return) of the ``Pendulum_SAC`` preset."""
    with tempfile.TemporaryDirectory() as workdir:
        trainer = coachrl_trainer(
            "Pendulum_SAC", [f"schedule.improve_steps={steps}", f"run.seed={seed}"], workdir)
        trainer.run()  # counters.wall_time: the loop alone, not the final checkpoint
        rate = trainer.counters.env_steps / trainer.counters.wall_time

        def policy(observations: NDArray) -> NDArray:
            return trainer.agent.act(observations, step=steps, explore=False).actions

        return rate, _final_return(policy, seed, steps)


def run_sb3(seed: int, steps: int) -> tuple[float, float]:
    """(training env steps/s, final return) of SB3's SAC with the zoo's Pendulum values."""
    from stable_baselines3 import SAC
    from stable_baselines3.common.env_util import make_vec_env

    model = SAC("MlpPolicy", make_vec_env(CASE, n_envs=1, seed=seed), learning_rate=1e-3,
                buffer_size=1_000_000, learning_starts=100, batch_size=256, tau=0.005,
                gamma=0.99, train_freq=1, gradient_steps=1, ent_coef="auto",
                policy_kwargs={"net_arch": [256, 256]}, seed=seed, device="cpu", verbose=0)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    rate = model.num_timesteps / (time.perf_counter() - start)
    return rate, _final_return(lambda o: model.predict(o, deterministic=True)[0], seed, steps)


def measure(seeds: int, steps: int) -> Report:
    """Seeds interleaved (coachrl, SB3 / SB3, coachrl, ...); ratios paired by seed."""
    report = Report(TITLE)

    def record(library: str, outcome: tuple[float, float], seed: int) -> None:
        report.add(CASE, library, "train env steps/s", outcome[0], seed)
        report.add(CASE, library, "final return", outcome[1], seed)

    interleaved(seeds, {COACHRL: lambda seed: record(COACHRL, run_coachrl(seed, steps), seed),
                        SB3: lambda seed: record(SB3, run_sb3(seed, steps), seed)})
    report.ratios = [Ratio(CASE, "train env steps/s", COACHRL, SB3, f">= {SPEED_TARGET}",
                           lambda r: r >= SPEED_TARGET)]
    report.notes += [
        f"{steps} env steps per run, {seeds} seed(s); final return: mean of 10 deterministic "
        "episodes after training (same harness and episode seeds for both libraries).",
        _return_note(report),
    ]
    return report


def _return_note(report: Report) -> str:
    finals = {library: {s.repeat: s.value for s in report.samples
                        if s.library == library and s.metric == "final return"}
              for library in (COACHRL, SB3)}
    paired = [finals[COACHRL][seed] - finals[SB3][seed]
              for seed in sorted(finals[COACHRL].keys() & finals[SB3].keys())]
    ours, theirs = (statistics.median(finals[k].values()) for k in (COACHRL, SB3))
    difference = float(np.median(paired))
    verdict = "met" if ours >= theirs else "missed"
    return (f"Final return: coachrl median {ours:.1f}, SB3 median {theirs:.1f}; paired "
            f"difference coachrl - SB3 median {difference:+.1f}. Target: equal or better "
            f"(coachrl's median >= SB3's): {verdict}.")


def run(options: Options) -> Report:
    return measure(options.seeds, QUICK_STEPS if options.quick else STEPS)
