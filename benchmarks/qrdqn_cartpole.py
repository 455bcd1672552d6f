"""QR-DQN on CartPole-v1, RL-zoo hyperparameters: time and env steps to an eval of 475.

coachrl runs its ``CartPole_QR_DQN`` preset, sb3-contrib its ``QRDQN`` with the same values
(RL-zoo's QR-DQN for CartPole, which are its DQN values with 10 quantiles): 1 env, lr 2.3e-3,
batch 64, buffer 100k, learning starts 1000, gamma 0.99, train every 256 env steps with 128
gradient steps, target synced once per training round (sb3-contrib: every 10 env steps, which
falls between rounds), epsilon 1 -> 0.04 over 8000 env steps, 256-256 ReLU network, the
quantile Huber loss (kappa 1), max grad norm 10, Adam eps 1e-8 (sb3-contrib's defaults, which
the preset states). Issue #16's rule: paired median wall-time ratio <= 0.6, env steps <= 1.
"""

from __future__ import annotations

from benchmarks.common import Options, Report
from benchmarks.threshold import Outcome, Protocol, compare, run_coachrl, run_sb3
from benchmarks.threshold import summarise as threshold_summary

WALL_TARGET = 0.6  # coachrl / sb3-contrib, paired median of wall time to threshold

TITLE = "QR-DQN CartPole-v1: time and env steps to eval >= 475 (sb3 = sb3-contrib's QRDQN)"
STEPS = 50_000


def _protocol(quick: bool) -> Protocol:
    if quick:
        return Protocol(
            env_id="CartPole-v1", threshold=475.0, budget=1_600, eval_period=800, eval_episodes=2
        )
    return Protocol(env_id="CartPole-v1", threshold=475.0, budget=STEPS, eval_period=2_560)


def _sb3(protocol: Protocol, seed: int, quick: bool) -> Outcome:
    from sb3_contrib import QRDQN
    from stable_baselines3.common.env_util import make_vec_env

    model = QRDQN(
        "MlpPolicy",
        make_vec_env(protocol.env_id, n_envs=1, seed=seed),
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1_000,
        gamma=0.99,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=8 if quick else 128,
        exploration_fraction=8_000 / protocol.budget,
        exploration_final_eps=0.04,
        policy_kwargs={"net_arch": [256, 256], "n_quantiles": 10},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    return run_sb3(model, protocol, seed)


def run(options: Options) -> Report:
    protocol = _protocol(options.quick)
    overrides = [f"schedule.improve_steps={protocol.budget}"]
    if options.quick:
        overrides.append("agent.algorithm.gradient_steps=8")
    report = compare(
        title=TITLE,
        options=options,
        protocol=protocol,
        coachrl=lambda seed: run_coachrl("CartPole_QR_DQN", overrides, protocol, seed),
        sb3=lambda seed: _sb3(protocol, seed, options.quick),
    )
    summarise(report, quick=options.quick)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    threshold_summary(report, _protocol(quick), wall_target=WALL_TARGET)
