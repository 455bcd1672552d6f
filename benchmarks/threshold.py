"""Time to threshold: wall seconds and env steps until the deterministic evaluation first reaches
the threshold, for coachrl's ``Trainer`` and SB3's ``learn()``, both evaluated by one harness.

Evaluation: every ``eval_period`` env steps, after the training that step triggered, the
deterministic policy plays ``eval_episodes`` episodes side by side in a Gymnasium vector env; the
mean return is compared with the threshold. The wall time of every evaluation (for coachrl also
the best-checkpoint write that an evaluation triggers) is excluded from both libraries' times.
Building the model and envs is excluded too; the clock starts when training starts.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from benchmarks.common import (
    COACHRL,
    SB3,
    Options,
    Ratio,
    Report,
    Verdict,
    interleaved,
    paired_ratios,
    save_partial,
    t_975,
)

Policy = Callable[[NDArray], NDArray]
STEPS = "env steps to threshold"


@dataclass(slots=True, frozen=True)
class Protocol:
    """The comparison's rules, identical for both libraries."""

    env_id: str
    threshold: float
    budget: int  # env steps; a run that has not reached the threshold by then did not reach it
    eval_period: int  # env steps between evaluations
    eval_episodes: int = 10


@dataclass(slots=True)
class EvalClock:
    """Runs evaluations, adds up their cost and notes when the threshold was first reached."""

    protocol: Protocol
    seed: int
    start: float = 0.0
    eval_seconds: float = 0.0
    evaluations: int = 0
    threshold_wall: float = math.nan
    threshold_steps: float = math.nan
    cpu_start: float = 0.0  # process_time at the start; CPU seconds cover every thread
    eval_cpu: float = 0.0
    threshold_cpu: float = math.nan
    cpu_begin: float = 0.0  # process_time when the evaluation under way began
    env: Any = field(default=None)

    def __post_init__(self) -> None:
        p = self.protocol
        self.env = gym.vector.SyncVectorEnv([lambda: gym.make(p.env_id)] * p.eval_episodes)

    @property
    def reached(self) -> bool:
        return math.isfinite(self.threshold_wall)

    def returns(self, policy: Policy) -> tuple[NDArray, NDArray]:
        """One deterministic episode in each env: (returns, lengths)."""
        n = self.protocol.eval_episodes
        returns, lengths = np.zeros(n), np.zeros(n, dtype=np.int64)
        finished = np.zeros(n, dtype=bool)
        observations, _ = self.env.reset(seed=self.seed + 10_000 + self.evaluations)
        while not finished.all():
            observations, rewards, terminated, truncated, _ = self.env.step(policy(observations))
            returns += np.where(finished, 0.0, rewards)
            lengths += ~finished
            finished |= terminated | truncated
        return returns, lengths

    def begin_run(self) -> None:
        self.start, self.cpu_start = time.perf_counter(), time.process_time()

    def begin_evaluation(self) -> float:
        """The perf_counter time an evaluation begins at (its CPU time noted too)."""
        self.cpu_begin = time.process_time()
        return time.perf_counter()

    def account(self, begin: float, end: float, env_steps: int, mean_return: float) -> None:
        """Book one evaluation that ran from ``begin`` (``begin_evaluation``) to ``end``
        (perf_counter seconds)."""
        self.evaluations += 1
        if mean_return >= self.protocol.threshold and not self.reached:
            self.threshold_wall = begin - self.start - self.eval_seconds
            self.threshold_cpu = self.cpu_begin - self.cpu_start - self.eval_cpu
            self.threshold_steps = env_steps
        self.eval_seconds += end - begin
        self.eval_cpu += time.process_time() - self.cpu_begin

    def close(self) -> None:
        self.env.close()


@dataclass(slots=True)
class Outcome:
    threshold_wall: float  # s, evaluations excluded; nan if not reached
    threshold_cpu: float  # CPU s (every thread of the process), evaluations excluded; nan too
    threshold_steps: float  # env steps; nan if not reached
    train_steps_per_s: float  # env steps / s over the whole run, evaluations excluded
    eval_seconds: float


def _outcome(clock: EvalClock, end: float, env_steps: int) -> Outcome:
    training = end - clock.start - clock.eval_seconds
    return Outcome(clock.threshold_wall, clock.threshold_cpu, clock.threshold_steps,
                   env_steps / training, clock.eval_seconds)


def run_coachrl(preset_name: str, overrides: list[str], protocol: Protocol, seed: int) -> Outcome:
    """The preset through coachrl's own ``Trainer`` (no console, no log files)."""
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import load_preset
    from coachrl.runtime.evaluation import EvaluationResult
    from coachrl.runtime.loop import Trainer
    from coachrl.runtime.run_dir import create_run_dir

    never = protocol.budget + 1
    with tempfile.TemporaryDirectory() as workdir:
        preset = apply_overrides(
            load_preset(preset_name),
            [
                *overrides,
                f"run.seed={seed}",
                f"run.experiment_dir={workdir}",
                "run.stop_at_threshold=true",
                f"run.log_period={never}",
                f"schedule.checkpoint_period={never}",
                "schedule.checkpoint_seconds=0",
                f"schedule.evaluation_period={protocol.eval_period}",
                f"validation.min_reward={protocol.threshold}",
            ],
        )
        trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
        clock = EvalClock(protocol, seed)

        def policy(observations: NDArray) -> NDArray:
            return trainer.agent.act(
                trainer.observation_filter(observations),
                step=trainer.counters.env_steps,
                explore=False,
            ).actions

        def evaluate_now(**_: Any) -> EvaluationResult:
            return EvaluationResult(*clock.returns(policy))

        evaluate = trainer._evaluate

        def timed_evaluate() -> bool:
            begin = clock.begin_evaluation()
            stop = evaluate()
            clock.account(
                begin,
                time.perf_counter(),
                trainer.counters.env_steps,
                trainer.counters.last_eval or 0.0,
            )
            return stop

        trainer.evaluate_now = evaluate_now  # type: ignore[method-assign]
        trainer._evaluate = timed_evaluate  # type: ignore[method-assign]
        clock.begin_run()
        trainer.run()
        outcome = _outcome(clock, time.perf_counter(), trainer.counters.env_steps)
        clock.close()
    return outcome


def run_sb3(model: Any, protocol: Protocol, seed: int) -> Outcome:
    """``model.learn`` with a callback that evaluates at the start of rollouts (after training)."""
    from stable_baselines3.common.callbacks import BaseCallback

    clock = EvalClock(protocol, seed)

    class ThresholdCallback(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.next_evaluation = protocol.eval_period

        def _on_rollout_start(self) -> None:
            if self.num_timesteps < self.next_evaluation:
                return
            self.next_evaluation += protocol.eval_period
            begin = clock.begin_evaluation()
            returns, _ = clock.returns(lambda o: self.model.predict(o, deterministic=True)[0])
            clock.account(begin, time.perf_counter(), self.num_timesteps, float(returns.mean()))

        def _on_step(self) -> bool:
            return not clock.reached

    clock.begin_run()
    model.learn(total_timesteps=protocol.budget, callback=ThresholdCallback())
    outcome = _outcome(clock, time.perf_counter(), model.num_timesteps)
    clock.close()
    return outcome


def compare(
    *,
    title: str,
    options: Options,
    protocol: Protocol,
    coachrl: Callable[[int], Outcome],
    sb3: Callable[[int], Outcome],
) -> Report:
    """Seeds interleaved (coachrl, sb3 / sb3, coachrl, ...); the samples of each seed."""
    report = Report(title, list(options.kept))
    case = _case(protocol)

    def record(library: str, outcome: Outcome, seed: int) -> None:
        report.add(case, library, "wall s to threshold", outcome.threshold_wall, seed)
        report.add(case, library, "CPU s to threshold", outcome.threshold_cpu, seed)
        report.add(case, library, STEPS, outcome.threshold_steps, seed)
        report.add(case, library, "train env steps/s", outcome.train_steps_per_s, seed)
        report.add(case, library, "eval s (excluded)", outcome.eval_seconds, seed)

    interleaved(
        options.seeds,
        {
            COACHRL: lambda seed: record(COACHRL, coachrl(seed), seed),
            SB3: lambda seed: record(SB3, sb3(seed), seed),
        },
        skip=options.skipped_seeds,
        after=save_partial(options, report),
    )
    return report


def _case(protocol: Protocol) -> str:
    return f"{protocol.env_id} >= {protocol.threshold:g}"


def env_steps_interval(report: Report, case: str) -> Verdict:
    """The paired env-steps ratio's geometric mean and its 95% t-interval (on the log scale),
    over the seeds both libraries reached: how far from parity sample efficiency is, beside
    the median the rule reads."""
    ratios = np.log(paired_ratios(report, Ratio(case, STEPS, COACHRL, SB3, "")))
    if len(ratios) < 2:
        return Verdict(case, f"{STEPS}: geometric mean of the paired ratio",
                       f"{len(ratios)} paired seed(s): no interval", "", "")
    half = t_975(len(ratios) - 1) * float(ratios.std(ddof=1)) / math.sqrt(len(ratios))
    mean = float(ratios.mean())
    return Verdict(
        case, f"{STEPS}: geometric mean of the paired ratio (coachrl / sb3)",
        f"{math.exp(mean):.3f}, 95% interval {math.exp(mean - half):.3f}-"
        f"{math.exp(mean + half):.3f} over {len(ratios)} seeds", "", "")


def every_seed_verdict(report: Report, case: str, budget: int) -> Verdict:
    """Whether coachrl reached the threshold within the budget on every seed it ran."""
    runs = {library: [s.value for s in report.samples
                      if s.case == case and s.library == library and s.metric == STEPS]
            for library in (COACHRL, SB3)}
    reached = {library: sum(math.isfinite(v) for v in values) for library, values in runs.items()}
    met = bool(runs[COACHRL]) and reached[COACHRL] == len(runs[COACHRL])
    return Verdict(
        case, "seeds reaching the threshold within the budget",
        f"coachrl {reached[COACHRL]} of {len(runs[COACHRL])}, sb3 {reached[SB3]} of "
        f"{len(runs[SB3])} (budget {budget:,} env steps)",
        "every coachrl seed", "met" if met else "missed")


def summarise(report: Report, protocol: Protocol, *, wall_target: float,
              every_seed: bool = False) -> None:
    """The rules of a time-to-threshold comparison: paired median ratios of wall time (at most
    ``wall_target``) and of env steps (at most 1), over the seeds both libraries reached, with
    the env-steps ratio's geometric mean and 95% interval beside them; with ``every_seed``,
    also every coachrl seed reaching the threshold within the budget."""
    case = _case(protocol)
    report.verdicts = [env_steps_interval(report, case)]
    if every_seed:
        report.verdicts.append(every_seed_verdict(report, case, protocol.budget))
    report.ratios = [
        Ratio(
            case,
            "wall s to threshold",
            COACHRL,
            SB3,
            f"<= {wall_target}",
            lambda r: r <= wall_target,
        ),
        Ratio(case, STEPS, COACHRL, SB3, "<= 1", lambda r: r <= 1.0),
        Ratio(case, "train env steps/s", COACHRL, SB3, ""),
        Ratio(case, "CPU s to threshold", COACHRL, SB3, ""),  # recorded since 2026-12-01
    ]
    report.notes.append(
        f"Deterministic evaluation of {protocol.eval_episodes} episodes every "
        f"{protocol.eval_period} env steps by one shared harness; evaluation time excluded from "
        f"both libraries' wall times; budget {protocol.budget} env steps (n/a: not reached)."
    )


@dataclass(slots=True, frozen=True)
class PresetAgainstSB3:
    """A time-to-threshold comparison of a coachrl preset with an SB3 model of the same values:
    its protocol (the full one, and a few seconds' ``quick`` one that only exercises the code),
    the rule's wall-time target, and the preset's overrides (``quick_overrides`` in quick runs)."""

    title: str
    preset: str
    env_id: str
    budget: int
    eval_period: int
    quick_budget: int
    quick_period: int
    wall_target: float  # coachrl / SB3, paired median of wall time to threshold
    every_seed: bool = False  # a rule: coachrl reaches the threshold on every seed
    threshold: float = 475.0
    overrides: tuple[str, ...] = ()
    quick_overrides: tuple[str, ...] = ()

    def protocol(self, quick: bool) -> Protocol:
        if quick:
            return Protocol(env_id=self.env_id, threshold=self.threshold,
                            budget=self.quick_budget, eval_period=self.quick_period,
                            eval_episodes=2)
        return Protocol(env_id=self.env_id, threshold=self.threshold, budget=self.budget,
                        eval_period=self.eval_period)

    def run(self, options: Options, sb3: Callable[[Protocol, int, bool], Outcome]) -> Report:
        """Both libraries over ``options.seeds``, then the rule's verdicts."""
        protocol = self.protocol(options.quick)
        overrides = [f"schedule.improve_steps={protocol.budget}", *self.overrides,
                     *(self.quick_overrides if options.quick else ())]
        report = compare(
            title=self.title,
            options=options,
            protocol=protocol,
            coachrl=lambda seed: run_coachrl(self.preset, overrides, protocol, seed),
            sb3=lambda seed: sb3(protocol, seed, options.quick),
        )
        self.summarise(report, options.quick)
        return report

    def summarise(self, report: Report, quick: bool = False) -> None:
        summarise(report, self.protocol(quick), wall_target=self.wall_target,
                  every_seed=self.every_seed)
