"""TD3 on Pendulum-v1, RL-zoo hyperparameters: training env steps/s and the final return.

coachrl runs its ``Pendulum_TD3`` preset, SB3 its ``TD3("MlpPolicy")`` with the same values
(RL-zoo's TD3 for Pendulum-v1): 20k env steps, the first 10k random, gamma 0.98, replay 200k,
Gaussian action noise 0.1, Adam 1e-3, batch 256, tau 0.005, one gradient step per env step
after the random ones (actor and targets every second), 400-300 ReLU actor and twin critics.
Throughput and final return are measured as the SAC row does (``sac_pendulum``): env steps over
the training wall time, then 10 deterministic episodes by one shared harness. Issue #17's rule,
fixed before the first run: paired median throughput >= 1.3x SB3's, and the final return
non-inferior by the SAC row's test (``sac_pendulum.final_return_verdict``).
"""

from __future__ import annotations

from benchmarks import sac_pendulum
from benchmarks.common import Options, Report
from benchmarks.sac_pendulum import QUICK_STEPS, learn_sb3, measure, run_coachrl

TITLE = "TD3 Pendulum-v1 (20k steps): training env steps/s and final return"
STEPS = 20_000
SPEED_TARGET = 1.3
PRESET = "Pendulum_TD3"


def run_sb3(seed: int, steps: int) -> tuple[float, float]:
    """(training env steps/s, final return) of SB3's TD3 with the zoo's Pendulum values."""
    import numpy as np
    from stable_baselines3 import TD3
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.noise import NormalActionNoise

    model = TD3(
        "MlpPolicy",
        make_vec_env("Pendulum-v1", n_envs=1, seed=seed),
        learning_rate=1e-3,
        buffer_size=200_000,
        learning_starts=min(10_000, steps // 2),
        batch_size=256,
        tau=0.005,
        gamma=0.98,
        train_freq=1,
        gradient_steps=1,
        action_noise=NormalActionNoise(np.zeros(1), 0.1 * np.ones(1)),
        policy_kwargs={"net_arch": [400, 300]},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    return learn_sb3(model, seed, steps)


def _coachrl(seed: int, steps: int) -> tuple[float, float]:
    return run_coachrl(seed, steps, PRESET, random_steps=min(10_000, steps // 2))


def run(options: Options) -> Report:
    steps = QUICK_STEPS if options.quick else STEPS
    report = measure(options, steps, title=TITLE, coachrl=_coachrl, sb3=run_sb3)
    summarise(report, options.quick)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    """The SAC row's rules with this row's throughput target (the table recomputes through
    this function, so the target lives here and nowhere else)."""
    sac_pendulum.summarise(report, quick, speed_target=SPEED_TARGET, steps=STEPS)
