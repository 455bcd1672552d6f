"""Env steps/s of rollout collection, policy in the loop, with 0, 1, 2, 4, 8 Ray rollout workers.

python -m benchmarks.scaling [--workers 0,1,2,4,8] [--seconds 5] [--envs cartpole,latency,...]

0 workers is one process stepping the same ``RolloutWorker`` (K envs, numpy policy) in a loop;
N workers are Ray actors, each with one fragment in flight, with the weights put in the object
store once per round of N fragments and sent to every worker (as the async trainer does).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as Ray sets for its 1-CPU workers

import argparse
import time
from typing import Any

from coachrl.distributed.worker import RolloutWorker
from coachrl.params.tree import apply_overrides
from coachrl.registry import env_adapter, load_preset
from coachrl.runtime.build import make_agent, make_backends

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
        steps += worker.sample(length=length, step=0)["env_steps"]
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
        steps += ray.get(ready[0])["env_steps"]
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


def _ratio(rates: dict[int, float], a: int, b: int) -> str:
    return f"{rates[a] / rates[b]:.2f}x" if a in rates and b in rates else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="0,1,2,4,8")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--envs", default=",".join(ENVS))
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    import ray

    ray.init(
        address="local",
        num_cpus=max(max(counts), 1),
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
    )
    print(
        "| env | envs/worker | "
        + " | ".join(f"{n} workers" for n in counts)
        + " | 1w/0w | 2w/0w | 8w/1w |"
    )
    print("|---" * (len(counts) + 5) + "|")
    for name in args.envs.split(","):
        env_id, n_envs, length = ENVS[name]
        preset = _preset(env_id, n_envs)
        weights = _weights(preset)
        rates = {
            n: (
                single_process(preset, weights, length=length, seconds=args.seconds)
                if n == 0
                else with_workers(preset, weights, workers=n, length=length, seconds=args.seconds)
            )
            for n in counts
        }
        ratios = " | ".join(_ratio(rates, a, b) for a, b in ((1, 0), (2, 0), (8, 1)))
        print(
            f"| {name} | {n_envs} | "
            + " | ".join(f"{rates[n]:,.0f}" for n in counts)
            + f" | {ratios} |",
            flush=True,
        )
    ray.shutdown()


if __name__ == "__main__":
    main()
