"""Rollout overhead: env steps/s collecting with the policy in the loop, against the raw vector env.

The raw rate is a Gymnasium ``SyncVectorEnv`` of CartPole-v1 stepping random actions drawn in
advance (every ``step`` call counts n env steps, autoreset steps included). coachrl runs its
``Trainer`` loop with the CartPole_ClippedPPO agent (act, env step, filters, rollout buffer,
episode bookkeeping) and training replaced by ``finish_rollout`` (the batched behaviour values
and log-probs, the last observations' values and GAE) and a buffer reset; it counts only real
transitions. SB3 runs ``PPO.collect_rollouts`` (same 64-64 actor-critic) back to back, which
computes values, log-probs and GAE inside it: both sides time the same work, no gradient step.
"""

from __future__ import annotations

import tempfile
import time

import gymnasium as gym
import numpy as np

from benchmarks.common import SB3, Options, Ratio, Report, coachrl_trainer, interleaved, sb3_quiet

TITLE = "Rollout: env steps/s with the policy in the loop vs the raw vector env (CartPole-v1)"
RAW = "gymnasium (random actions)"
HORIZON_STEPS = 256  # env steps per rollout, as RL-zoo's 8 envs x 32 steps


def raw_rate(n_envs: int, steps: int, seed: int) -> float:
    env = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")] * n_envs)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 2, size=(steps // n_envs, n_envs))
    start = time.perf_counter()
    for row in actions:
        env.step(row)
    elapsed = time.perf_counter() - start
    env.close()
    return len(actions) * n_envs / elapsed


def coachrl_rate(n_envs: int, steps: int, seed: int, backend: str) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        trainer = coachrl_trainer(
            "CartPole_ClippedPPO",
            [
                f"env.n_envs={n_envs}",
                f"agent.algorithm.rollout_length={HORIZON_STEPS // n_envs}",
                f"agent.inference_backend={backend}",
                f"schedule.improve_steps={steps}",
                f"run.seed={seed}",
            ],
            workdir,
        )
        agent = trainer.agent

        def collect_only(step: int) -> dict[str, float]:
            agent.finish_rollout()  # what SB3's collect_rollouts does at its end
            agent.buffer.reset()
            return {}

        agent.train = collect_only
        outcome = trainer.run()
    return outcome.counters.env_steps / outcome.counters.wall_time


def sb3_rate(n_envs: int, steps: int, seed: int) -> float:
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    model = sb3_quiet(
        PPO(
            "MlpPolicy",
            make_vec_env("CartPole-v1", n_envs=n_envs, seed=seed),
            n_steps=HORIZON_STEPS // n_envs,
            batch_size=HORIZON_STEPS,
            seed=seed,
            device="cpu",
        )
    )
    _, callback = model._setup_learn(steps, None)
    start = time.perf_counter()
    while model.num_timesteps < steps:
        model.collect_rollouts(model.env, callback, model.rollout_buffer, model.n_steps)
    return model.num_timesteps / (time.perf_counter() - start)


def run(options: Options) -> Report:
    report = Report(TITLE)
    repeats = 1 if options.quick else options.repeats
    for n_envs in (1, 8):
        case = f"{n_envs} env" + ("s" if n_envs > 1 else "")
        steps = 2_048 if options.quick else 40_000

        def add(library: str, rate: float, repeat: int, case: str = case) -> None:
            report.add(case, library, "env steps/s", rate, repeat)

        interleaved(
            repeats,
            {
                RAW: lambda r, n=n_envs, s=steps: add(RAW, raw_rate(n, s, r), r),
                "coachrl (numpy)": lambda r, n=n_envs, s=steps: add(
                    "coachrl (numpy)", coachrl_rate(n, s, r, "numpy"), r
                ),
                "coachrl (torch)": lambda r, n=n_envs, s=steps: add(
                    "coachrl (torch)", coachrl_rate(n, s, r, "torch"), r
                ),
                SB3: lambda r, n=n_envs, s=steps: add(SB3, sb3_rate(n, s, r), r),
            },
        )
    summarise(report)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """Targets: coachrl at least 0.75 of the raw env rate at 8 envs and 0.5 at 1 env (paired
    median over repeats)."""
    for case, target in (("1 env", 0.5), ("8 envs", 0.75)):
        for library in ("coachrl (numpy)", "coachrl (torch)"):
            report.ratios.append(
                Ratio(case, "env steps/s", library, RAW, f">= {target}", lambda r, t=target: r >= t)
            )
        report.ratios.append(Ratio(case, "env steps/s", SB3, RAW, ""))
        report.ratios.append(Ratio(case, "env steps/s", "coachrl (numpy)", SB3, ""))
    report.notes.append(
        "Policy: 64-64 tanh actor and critic (PPO MlpPolicy), one torch thread, one BLAS thread; "
        f"rollouts of {HORIZON_STEPS} env steps, values, log-probs and GAE included on both "
        "sides, no training."
    )
