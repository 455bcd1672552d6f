"""SAC and TD3 on HalfCheetah-v5 with the literature's values: training env steps/s and the
return reached after 100k env steps, one seed each (issue #17: figures, no target).

coachrl runs ``Mujoco_SAC`` and ``Mujoco_TD3`` with ``--level HalfCheetah`` (the level's
assignments: the SAC paper's 256-256, Adam 3e-4, batch 256; the TD3 paper's 400-300, Adam 1e-3,
batch 100; 10k uniform random steps first, gamma 0.99, tau 0.005, replay 1M, one gradient step
per env step), SB3 its ``SAC`` and ``TD3`` with the same values. Throughput and the final
return (10 deterministic episodes by one shared harness) are measured as the SAC Pendulum row
does. 100k env steps of a 1M-step recipe: the return is where learning stands, not its end.
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import COACHRL, SB3, Options, Ratio, Report, interleaved, save_partial
from benchmarks.sac_pendulum import FINAL, learn_sb3, run_coachrl

TITLE = "SAC and TD3 HalfCheetah-v5 (100k steps): training env steps/s and return reached"
ENV, LEVEL = "HalfCheetah-v5", "HalfCheetah"
STEPS, QUICK_STEPS = 100_000, 300
RANDOM_STEPS = 10_000


def _level_assignments(preset: str) -> tuple[str, ...]:
    from coachrl.registry import load_preset

    return tuple(load_preset(preset).level_assignments(LEVEL))


def _sb3_model(algorithm: str, seed: int, random_steps: int):
    import numpy as np
    from stable_baselines3 import SAC, TD3
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.noise import NormalActionNoise

    env = make_vec_env(ENV, n_envs=1, seed=seed)
    common: dict[str, Any] = {"buffer_size": 1_000_000, "learning_starts": random_steps,
                              "tau": 0.005, "gamma": 0.99, "train_freq": 1, "gradient_steps": 1,
                              "seed": seed, "device": "cpu", "verbose": 0}
    if algorithm == "SAC":
        return SAC("MlpPolicy", env, learning_rate=3e-4, batch_size=256, ent_coef="auto",
                   policy_kwargs={"net_arch": [256, 256]}, **common)
    dim = env.action_space.shape[0]
    return TD3("MlpPolicy", env, learning_rate=1e-3, batch_size=100,
               action_noise=NormalActionNoise(np.zeros(dim), 0.1 * np.ones(dim)),
               policy_kwargs={"net_arch": [400, 300]}, **common)


ALGORITHMS = ("SAC", "TD3")
CASES = tuple(f"{ENV} {algorithm}" for algorithm in ALGORITHMS)  # --case runs one of them


def run(options: Options) -> Report:
    steps = QUICK_STEPS if options.quick else STEPS
    random_steps = min(RANDOM_STEPS, steps // 2)
    report = Report(TITLE, list(options.kept))
    runners = {}
    for algorithm in ALGORITHMS:
        case, preset = f"{ENV} {algorithm}", f"Mujoco_{algorithm}"
        if options.cases and case not in options.cases:
            continue

        def record(library: str, outcome: tuple[float, float], seed: int, case: str = case
                   ) -> None:
            report.add(case, library, "train env steps/s", outcome[0], seed)
            report.add(case, library, FINAL, outcome[1], seed)

        runners[f"{COACHRL} {algorithm}"] = (
            lambda seed, preset=preset, record=record: record(COACHRL, run_coachrl(
                seed, steps, preset, random_steps, overrides=_level_assignments(preset),
                env_id=ENV), seed))
        runners[f"{SB3} {algorithm}"] = (
            lambda seed, algorithm=algorithm, record=record: record(SB3, learn_sb3(
                _sb3_model(algorithm, seed, random_steps), seed, steps, ENV), seed))
    interleaved(options.seeds, runners, skip=options.skipped_seeds,
                after=save_partial(options, report))
    summarise(report, options.quick)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """The throughput ratio of each algorithm; the returns stand in the per-library table."""
    steps = QUICK_STEPS if quick else STEPS
    report.ratios = [Ratio(case, "train env steps/s", COACHRL, SB3, "") for case in CASES
                     if any(sample.case == case for sample in report.samples)]
    report.notes = [f"{steps} env steps per run ({min(RANDOM_STEPS, steps // 2)} random first), "
                    f"one seed each; no target: figures for issue #17."]
