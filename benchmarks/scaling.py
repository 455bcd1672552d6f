"""Env steps/s of rollout collection, policy in the loop, with 0, 1, 2, 4, 8 Ray rollout workers.

python -m benchmarks run scaling [--repeats 3]   (needs the ray and mujoco extras)

0 workers is one process stepping the same ``RolloutWorker`` (K envs, numpy policy) in a loop;
N workers are Ray actors, each with one fragment in flight, with the weights put in the object
store once per round of N fragments and sent to every worker (as the async trainer does).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from benchmarks.common import Options, Ratio, Report, interleaved
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


def run(options: Options) -> Report:
    """Every worker count on every env, interleaved over repeats; Ray on loopback only."""
    import ray

    counts = QUICK_COUNTS if options.quick else COUNTS
    names = QUICK_ENVS if options.quick else tuple(ENVS)
    seconds = 0.5 if options.quick else SECONDS
    report = Report(TITLE)
    from coachrl.distributed.cluster import loopback_only

    with loopback_only():  # as coachrl's local sessions are
        ray.init(
            address="local",
            num_cpus=max(counts),
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
    per-fragment overhead)."""
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
    report.notes.append(
        "Envs per worker and fragment length: CartPole-v1 8 x 256, LatencyEnv (CartPole + 2 ms "
        "sleep per step) 1 x 100, HalfCheetah-v5 4 x 256; "
        f"{0.5 if quick else SECONDS} s per cell; Ray on 127.0.0.1; one CPU per worker."
    )


def main() -> None:
    """``python -m benchmarks.scaling`` is ``python -m benchmarks run scaling``."""
    from benchmarks.__main__ import main as run_main

    sys.exit(run_main(["run", "scaling", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
