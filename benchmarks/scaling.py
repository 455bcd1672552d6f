"""Env steps/s of rollout collection, policy in the loop, with 0, 1, 2, 4, 8 Ray rollout workers;
and of training on 2 workers, asynchronous IMPALA against synchronous A2C.

python -m benchmarks run scaling [--repeats 3] [--case latency-learning]
(needs the ray extra, and mujoco for the halfcheetah case)

0 workers is one process stepping the same ``RolloutWorker`` (K envs, numpy policy) in a loop;
N workers are Ray actors, each with one fragment in flight, with the weights put in the object
store once per round of N fragments and sent to every worker (as the async trainer does).
The learning case runs the ``DistributedTrainer`` itself (collection, updates, broadcasts).
"""

from __future__ import annotations

import functools
import sys
import time
from typing import Any

from benchmarks.common import Options, Ratio, Report, Verdict, interleaved, spread
from coachrl.distributed.worker import RolloutWorker
from coachrl.params.tree import apply_overrides
from coachrl.registry import env_adapter, load_preset
from coachrl.runtime.build import make_agent, make_backends

TITLE = "Scaling: rollout env steps/s with 0, 1, 2, 4, 8 Ray workers"
METRIC = "env steps/s"
COUNTS, QUICK_COUNTS = (0, 1, 2, 4, 8), (0, 1)
QUICK_ENVS = ("cartpole",)  # a few seconds; HalfCheetah needs the mujoco extra
SECONDS = 4.0  # per cell
ENVS = {  # name: (env id, envs per worker, fragment length in steps per env)
    "cartpole": ("CartPole-v1", 8, 256),
    "latency": ("coachrl.environments.toy:LatencyEnv", 1, 100),
    "halfcheetah": ("HalfCheetah-v5", 4, 256),
}
# Training throughput on 2 workers of the latency env: IMPALA (async, V-trace) against A2C (the
# A3C agent in sync mode). Both run their CartPole preset's network (64-64 tanh, separate
# towers) and 16-step rollouts with 4 envs per worker; only the mode and the update differ.
LEARNING = "latency-learning"
LEARNING_ENV = "coachrl.environments.toy:LatencyEnv"
LEARNING_WORKERS, LEARNING_ENVS_PER_WORKER = 2, 4
LEARNING_STEPS, QUICK_LEARNING_STEPS = 8_000, 640  # env steps per cell
LEARNERS = {  # library: (preset, mode)
    "IMPALA, 2 workers (async)": ("CartPole_IMPALA", "async"),
    "A2C, 2 workers (sync)": ("CartPole_A3C", "sync"),
}
LAG = "policy lag (gradient steps, median over fragments)"
CASES = (*ENVS, LEARNING)


def _preset(env_id: str, n_envs: int) -> Any:
    return apply_overrides(
        load_preset("CartPole_ClippedPPO"), [f"env.env_id={env_id}", f"env.n_envs={n_envs}"]
    )


def _weights(preset: Any) -> dict[str, Any]:
    learner, actor = make_backends(preset)
    env = env_adapter()(preset.env, seed=0)
    agent = make_agent(preset, env, learner, actor)
    env.close()
    return {name: agent.networks[name].get_weights() for name in agent.trainable}


def single_process(preset: Any, weights: dict, *, length: int, seconds: float) -> float:
    worker = RolloutWorker(preset, index=0, n_envs=preset.env.n_envs)
    worker.set_weights(weights, 0)
    worker.sample(length=length, step=0)  # warm-up
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps += worker.sample(length=length, step=0).env_steps
    return steps / (time.perf_counter() - start)


def with_workers(preset: Any, weights: dict, *, workers: int, length: int, seconds: float) -> float:
    import ray

    remote = ray.remote(num_cpus=1)(RolloutWorker)
    actors = [remote.remote(preset, index=i, n_envs=preset.env.n_envs) for i in range(workers)]
    ref = ray.put(weights)
    ray.get([a.sample.remote(length=length, step=0, weights=ref, version=0) for a in actors])
    pending = {
        a.sample.remote(length=length, step=0, weights=ref, version=0): i
        for i, a in enumerate(actors)
    }
    steps, done, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        ready, _ = ray.wait(list(pending), num_returns=1)
        index = pending.pop(ready[0])
        steps += ray.get(ready[0]).env_steps
        done += 1
        if done % workers == 0:  # a new broadcast once per round
            ref = ray.put(weights)
        pending[actors[index].sample.remote(length=length, step=0, weights=ref, version=done)] = (
            index
        )
    elapsed = time.perf_counter() - start
    for actor in actors:
        ray.kill(actor)
    return steps / elapsed


def training(preset_name: str, mode: str, *, steps: int, workdir: str) -> tuple[float, float]:
    """(env steps/s, median policy lag) of a ``DistributedTrainer`` on the latency env: the
    training loop's own clock (collection, updates, broadcasts), no evaluation or checkpoint."""
    from coachrl.distributed.config import DistributedConfig, Mode
    from coachrl.distributed.trainer import DistributedTrainer
    from coachrl.runtime.run_dir import create_run_dir

    never = 2 * steps + 1_000_000
    preset = apply_overrides(
        load_preset(preset_name),
        [
            f"env.env_id={LEARNING_ENV}",
            f"schedule.improve_steps={steps}",
            f"schedule.evaluation_period={never}",
            f"schedule.checkpoint_period={never}",
            "schedule.checkpoint_seconds=0",
            f"run.log_period={never}",
            f"run.experiment_dir={workdir}",
        ],
    )
    config = DistributedConfig(
        workers=LEARNING_WORKERS, envs_per_worker=LEARNING_ENVS_PER_WORKER, mode=Mode(mode)
    )
    trainer = DistributedTrainer(
        preset, run_dir=create_run_dir(preset), config=config, console=False, log=False
    )
    outcome = trainer.run()
    return outcome.counters.env_steps / outcome.counters.wall_time, trainer.stats.median_lag()


def _learning(report: Report, options: Options) -> None:
    import tempfile

    steps = QUICK_LEARNING_STEPS if options.quick else LEARNING_STEPS

    def measure(repeat: int, *, library: str) -> None:
        preset_name, mode = LEARNERS[library]
        with tempfile.TemporaryDirectory() as workdir:
            rate, lag = training(preset_name, mode, steps=steps, workdir=workdir)
        report.add(LEARNING, library, METRIC, rate, repeat)
        report.add(LEARNING, library, LAG, lag, repeat)

    interleaved(
        1 if options.quick else options.repeats,
        {library: functools.partial(measure, library=library) for library in LEARNERS},
    )


def run(options: Options) -> Report:
    """Every worker count on every env, interleaved over repeats, then the learning case (or
    only ``options.cases``); Ray on loopback only."""
    import ray

    unknown = set(options.cases) - set(CASES)
    if unknown:
        raise SystemExit(f"scaling: unknown case(s) {sorted(unknown)}; expected {list(CASES)}")
    counts = QUICK_COUNTS if options.quick else COUNTS
    names = QUICK_ENVS if options.quick else tuple(ENVS)
    if options.cases:
        names = tuple(name for name in names if name in options.cases)
    seconds = 0.5 if options.quick else SECONDS
    report = Report(TITLE)
    from coachrl.distributed.cluster import loopback_only

    with loopback_only():  # as coachrl's local sessions are
        ray.init(
            address="local",
            num_cpus=max(*counts, LEARNING_WORKERS),
            include_dashboard=False,
            log_to_driver=False,
        )
    try:
        for name in names:
            env_id, n_envs, length = ENVS[name]
            preset = _preset(env_id, n_envs)
            weights = _weights(preset)

            def measure(
                n: int,
                repeat: int,
                name: str = name,
                preset: Any = preset,
                weights: dict = weights,
                length: int = length,
            ) -> None:
                rate = (
                    single_process(preset, weights, length=length, seconds=seconds)
                    if n == 0
                    else with_workers(preset, weights, workers=n, length=length, seconds=seconds)
                )
                report.add(name, _library(n), METRIC, rate, repeat)

            interleaved(
                1 if options.quick else options.repeats,
                {_library(n): (lambda r, n=n: measure(n, r)) for n in counts},
            )
        if not options.cases or LEARNING in options.cases:
            _learning(report, options)
    finally:
        ray.shutdown()
    summarise(report, options.quick)
    return report


def _library(workers: int) -> str:
    return f"coachrl, {workers} worker" + ("" if workers == 1 else "s")


def summarise(report: Report, quick: bool = False) -> None:
    """Targets (paired median over repeats): a latency-bound env gains at least 6x from 8
    workers over 1; CPU-bound HalfCheetah at least 1.5x from 2 workers over the single process
    on 2 cores; cheap CartPole keeps at least 0.8 of the single process with 1 worker (Ray's
    per-fragment overhead). Training on the latency env with 2 workers (issue #17, fixed before
    its first run): IMPALA's env steps/s at least sync A2C's (ratio >= 1.0), its policy lag
    reported beside it."""
    rules = (
        ("latency", 8, 1, 6.0),
        ("halfcheetah", 2, 0, 1.5),
        ("cartpole", 1, 0, 0.8),
        ("cartpole", 2, 0, None),
        ("latency", 2, 0, None),
        ("halfcheetah", 8, 1, None),
    )
    for case, top, bottom, target in rules:
        report.ratios.append(
            Ratio(
                case,
                METRIC,
                _library(top),
                _library(bottom),
                f">= {target}" if target else "",
                (lambda r, t=target: r >= t) if target else None,
            )
        )
    impala, a2c = LEARNERS
    report.ratios.append(Ratio(LEARNING, METRIC, impala, a2c, ">= 1.0", lambda r: r >= 1.0))
    lag = _lag(report, impala)
    if lag is not None:
        report.verdicts.append(lag)
    report.notes.append(
        f"Learning: the DistributedTrainer on {LEARNING_WORKERS} workers of LatencyEnv x "
        f"{LEARNING_ENVS_PER_WORKER} envs, 16-step rollouts, the CartPole_IMPALA preset (async: "
        "one update per worker rollout, a broadcast after each) against CartPole_A3C in sync "
        "mode (A2C: both workers' rollouts, one update, a broadcast); "
        f"{QUICK_LEARNING_STEPS if quick else LEARNING_STEPS:,} env steps per cell, timed by "
        "the training loop's clock (no evaluation, logging or checkpoints)."
    )
    report.notes.append(
        "Envs per worker and fragment length: CartPole-v1 8 x 256, LatencyEnv (CartPole + 2 ms "
        "sleep per step) 1 x 100, HalfCheetah-v5 4 x 256; "
        f"{0.5 if quick else SECONDS} s per cell; Ray on 127.0.0.1; one CPU per worker."
    )


def _lag(report: Report, library: str) -> Verdict | None:
    """IMPALA's policy lag: no rule, the figure beside the throughput verdict."""
    lags = {
        s.repeat: s.value
        for s in report.samples
        if (s.case, s.library, s.metric) == (LEARNING, library, LAG)
    }
    if not lags:
        return None
    median, low, high, count = spread(lags.values())
    each = ", ".join(f"{lags[r]:g}" for r in sorted(lags))
    return Verdict(
        LEARNING,
        LAG,
        f"{library}: median {median:g} ({low:g}-{high:g}) over "
        f"{count} repeats (each repeat's median over its fragments: {each})",
        "",
        "",
    )


def main() -> None:
    """``python -m benchmarks.scaling`` is ``python -m benchmarks run scaling``."""
    from benchmarks.__main__ import main as run_main

    sys.exit(run_main(["run", "scaling", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
