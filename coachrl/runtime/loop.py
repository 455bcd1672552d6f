"""The training loop (Coach's graph manager): heatup -> act/train -> evaluate, until done.

    trainer = Trainer(preset, run_dir=create_run_dir(preset))
    outcome = trainer.run()  # Ctrl-C or SIGTERM: stop at the next step, checkpoint, return
"""

from __future__ import annotations

import dataclasses
import math
import signal
import time
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core.batch import EpisodeStats
from coachrl.errors import CheckpointError, TrainingDiverged
from coachrl.logging import Logger
from coachrl.params.base import Preset
from coachrl.registry import run_layouts
from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.build import make_agent, make_backends, make_envs, make_filters
from coachrl.runtime.counters import Counters, Outcome
from coachrl.runtime.evaluation import EvaluationResult, evaluate, validation_score
from coachrl.runtime.run_dir import CHECKPOINTS, preset_hparams
from coachrl.runtime.stepping import EnvStepper

BEST = "best"


class Trainer:
    """Owns one run: env, agent, filters, logger, checkpoints."""

    def __init__(self, preset: Preset, *, run_dir: Path, resume: bool = False,
                 console: bool = True, log: bool = True,
                 on_evaluation: Callable[[int, float], bool] | None = None) -> None:
        """``on_evaluation(env_steps, mean_return)`` after every evaluation stops the run with
        reason "stopped" when it returns True (a tuner's pruner)."""
        self.preset, self.run_dir = preset, run_dir
        self.on_evaluation, self._stopped_by_caller = on_evaluation, False
        schedule = preset.schedule
        self.env, self.eval_env = make_envs(preset, eval_episodes=int(schedule.evaluation_episodes))
        self.filters = make_filters(preset, self.env)
        self.learner, self.actor = make_backends(preset)
        self.agent = make_agent(preset, self.env, self.learner, self.actor)
        self.counters = Counters(next_evaluation=int(schedule.evaluation_period),
                                 next_checkpoint=int(schedule.checkpoint_period))
        self.checkpoint_dir = run_dir / CHECKPOINTS
        self.recent_returns: deque[float] = deque(maxlen=100)
        self.recent_successes: deque[float] = deque(maxlen=100)  # goal envs only
        self.last_metrics: dict[str, float] = {}
        self._stop_signal: str | None = None
        self._checkpoint_deadline = math.inf  # time.monotonic() of the next timed checkpoint
        self.stepper = EnvStepper(self.env, self.agent, self.filters,
                                  heatup=int(schedule.heatup_steps))
        self.observations = self.stepper.reset()
        if resume:
            self._restore_latest()
        self.logger = Logger(run_dir, total_steps=int(schedule.improve_steps), title=preset.name,
                             console=console, files=log,
                             resume_rows=self.counters.csv_rows if resume else None,
                             resume_step=self.counters.env_steps if resume else None)
        if log:
            self.logger.layout(run_layouts())  # the dashboard's charts (coachrl.layouts group)

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> Outcome:
        previous = self._install_signal_handlers()
        start = time.perf_counter() - self.counters.wall_time
        self._t_last, self._steps_last = time.perf_counter(), self.counters.env_steps
        self._arm_checkpoint_clock()
        reason, save = "finished", True
        try:
            reason = self._loop(start)
            if reason == "finished" and self.counters.env_steps >= self.counters.next_evaluation:
                self.counters.wall_time = time.perf_counter() - start
                self._periodic(final=True)  # an evaluation left waiting for training
        except TrainingDiverged:
            save = False  # keep the last good checkpoints as they are
            raise
        finally:
            self.counters.wall_time = time.perf_counter() - start
            self._restore_signal_handlers(previous)
            try:
                if save:  # also on errors: a crash leaves a loadable checkpoint
                    self.save_checkpoint()
            finally:
                self._close()
        return Outcome(self.run_dir, self.counters, reason, self._stop_signal, self.last_metrics)

    def _loop(self, start: float) -> str:
        c, heatup = self.counters, int(self.preset.schedule.heatup_steps)
        improve = int(self.preset.schedule.improve_steps)
        observations, step = self.observations, self.stepper.step
        while c.env_steps < improve:
            if self._stop_signal is not None:
                return "interrupted"
            info, result, finished = step(observations, c.env_steps)
            self.agent.observe(observations, info, result)
            observations = self.observations = result.observations
            c.env_steps += int(np.count_nonzero(result.valid))
            if len(finished):
                self._record_episodes(finished)
            if c.env_steps >= heatup and self.agent.ready_to_train(c.env_steps):
                self._train_step()
            if c.env_steps >= min(c.next_log, c.next_evaluation, c.next_checkpoint):
                c.wall_time = time.perf_counter() - start
                if self._periodic():
                    return "stopped" if self._stopped_by_caller else "threshold"
        return "finished"

    def _train_step(self) -> None:
        c = self.counters
        metrics = self.agent.train(c.env_steps)
        if not metrics.get("loss/nonfinite"):
            c.nonfinite_strikes = 0
            self.last_metrics = metrics
            return
        c.nonfinite_strikes += 1
        heads = sorted(k for k, v in metrics.items()
                       if k.startswith("loss/") and not np.isfinite(v))
        warnings.warn(f"non-finite {', '.join(heads) or 'gradient'} at env step {c.env_steps}, "
                      f"gradient step {self.agent.train_steps}: update skipped "
                      f"({c.nonfinite_strikes}/{self.preset.run.max_nonfinite_updates})",
                      RuntimeWarning, stacklevel=2)
        if c.nonfinite_strikes >= self.preset.run.max_nonfinite_updates:
            kept = ckpt.list_checkpoints(self.checkpoint_dir)
            raise TrainingDiverged(
                f"training diverged: non-finite {', '.join(heads) or 'gradient'} in "
                f"{c.nonfinite_strikes} training calls in a row (run.max_nonfinite_updates="
                f"{self.preset.run.max_nonfinite_updates}) at env step {c.env_steps}; the last "
                f"good checkpoint is {kept[-1] if kept else 'none (no checkpoint yet)'}")

    def _record_episodes(self, finished: EpisodeStats) -> None:
        c = self.counters
        exploration = self.agent.exploration_rate(c.env_steps)
        in_heatup = int(c.env_steps < int(self.preset.schedule.heatup_steps))
        successes = (finished.successes if finished.successes is not None
                     else np.full(len(finished), np.nan))
        for episode_return, length, success in zip(finished.returns, finished.lengths, successes,
                                                   strict=True):
            c.episodes += 1
            self.recent_returns.append(float(episode_return))
            if success == success:  # the env says whether the goal was reached
                self.recent_successes.append(float(success))
            self.logger.row({
                "Episode #": c.episodes, "Training Iter": self.agent.train_steps,
                "In Heatup": in_heatup, "Total steps": c.env_steps,
                "Wall-Clock Time": round(c.wall_time, 3), "Training Reward": float(episode_return),
                "Episode Length": int(length), "Exploration": exploration,
                "Loss": self.last_metrics.get("loss/total", ""),
                "Success": int(success) if success == success else "",
            })
            c.csv_rows += 1
            self.logger.scalars({"train/episode_return": float(episode_return),
                                 "train/episode_length": float(length)}, c.env_steps)

    def _periodic(self, final: bool = False) -> bool:
        """Log, evaluate and checkpoint when due; True when the run should stop at threshold.
        An evaluation due mid-rollout waits for the rollout's training (``between_updates``),
        except at the end of the run (``final``)."""
        c, schedule = self.counters, self.preset.schedule
        stop = False
        if c.env_steps >= c.next_evaluation and (final or self.agent.between_updates()):
            c.next_evaluation += int(schedule.evaluation_period)
            stop = self._evaluate()
        if c.env_steps >= c.next_log:
            c.next_log = c.env_steps + int(self.preset.run.log_period)
            self._log_progress()
        # the clock is read here, at most every run.log_period steps, never on the per-step path
        if c.env_steps >= c.next_checkpoint or time.monotonic() >= self._checkpoint_deadline:
            if c.env_steps >= c.next_checkpoint:
                c.next_checkpoint += int(schedule.checkpoint_period)
            self.save_checkpoint()
        return stop

    def _log_progress(self) -> None:
        c = self.counters
        now = time.perf_counter()
        rate = (c.env_steps - self._steps_last) / max(now - self._t_last, 1e-9)
        self._t_last, self._steps_last = now, c.env_steps
        recent: float | None = None
        scalars = {"perf/env_steps_per_s": rate, **self.last_metrics,
                   "exploration/epsilon": self.agent.exploration_rate(c.env_steps),
                   "optim/lr": self.agent.learning_rate(c.env_steps)}
        if self.recent_successes:
            scalars["train/success_rate"] = float(np.mean(self.recent_successes))
        if self.recent_returns:
            recent, spread = float(np.mean(self.recent_returns)), float(np.std(self.recent_returns))
            scalars |= {"train/return_mean": recent, "train/return_lower": recent - spread,
                        "train/return_upper": recent + spread}
        self.logger.scalars(scalars, c.env_steps)
        self.logger.console.update(steps=c.env_steps, episodes=c.episodes, recent_return=recent,
                                   eval_return=c.last_eval, steps_per_s=rate,
                                   detail=self.progress_detail())
        self.logger.flush()

    def progress_detail(self) -> str:
        """Extra text for the progress line (the distributed trainer shows its workers)."""
        return ""

    def _evaluate(self) -> bool:
        c, validation = self.counters, self.preset.validation
        result = self.evaluate_now()
        c.evaluations += 1
        c.last_eval = result.mean
        every = int(self.preset.schedule.video_every_evaluations)
        if every and c.evaluations % every == 0:
            self._record_video()
        success_rate = result.success_rate
        self.logger.row({"Episode #": c.episodes, "Training Iter": self.agent.train_steps,
                         "In Heatup": 0, "Total steps": c.env_steps,
                         "Wall-Clock Time": round(c.wall_time, 3),
                         "Evaluation Reward": result.mean, "Evaluation Reward Std": result.std,
                         "Evaluation Success Rate": "" if success_rate is None else success_rate,
                         **self.evaluation_extras()})
        c.csv_rows += 1
        self.logger.scalars({"eval/return_mean": result.mean, "eval/return_std": result.std,
                             "eval/episode_length": float(result.lengths.mean()),
                             "eval/return_lower": result.mean - result.std,
                             "eval/return_upper": result.mean + result.std}, c.env_steps)
        self._log_distributions(result)
        if result.mean > c.best_eval:
            c.best_eval = result.mean
            self._write_checkpoint(BEST)
        if success_rate is not None:
            self.logger.scalars({"eval/success_rate": success_rate}, c.env_steps)
        reached = validation_score(validation, result) >= validation.min_reward
        if reached and c.threshold_step is None:
            c.threshold_step = c.env_steps
        if self.on_evaluation is not None and self.on_evaluation(c.env_steps, result.mean):
            self._stopped_by_caller = True
        return self._stopped_by_caller or (reached and self.preset.run.stop_at_threshold)

    def evaluation_extras(self) -> dict[str, float]:
        """More columns of an evaluation's progress.csv row (a batch run's estimates)."""
        return {}

    def _record_video(self) -> None:
        """One more deterministic episode, rendered: an MP4 in run_dir/videos/ and a video
        (GIF) in TensorBoard's Images tab."""
        from coachrl.runtime.video import episode_frames, write_mp4

        frames = episode_frames(self)
        step = self.counters.env_steps
        write_mp4(self.run_dir / "videos" / f"eval-{step}.mp4", frames)
        self.logger.video("eval/video", frames, step)

    def _log_distributions(self, result: EvaluationResult) -> None:
        """Weight and evaluation-action histograms: once per evaluation, off the hot loop."""
        values: dict[str, Any] = {}
        for name, weights in self.agent.weights().items():
            for key, array in weights.items():
                if np.issubdtype(array.dtype, np.floating) and array.size > 1:
                    values[f"weights/{name}/{key}"] = array
        if result.actions is not None and result.actions.size:
            values["eval/actions"] = result.actions
        self.logger.histograms(values, self.counters.env_steps)

    def evaluate_now(self, **kwargs: Any) -> EvaluationResult:
        return evaluate(self.agent, self.eval_env, step=self.counters.env_steps,
                        observe=self.observation_filter, **kwargs)

    def observation_filter(self, observations: NDArray) -> NDArray:
        """The run's observation filter without updating its statistics (evaluation)."""
        return self.filters.observations_of(observations, update=False)

    # -- checkpoints -------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {
            "agent": self.agent.state_dict(),
            "counters": dataclasses.asdict(self.counters),
            "filters": self.filters.state_dict(),
            "rng": {"agent": self.agent.rng_state(),
                    "learner": self.learner.rng_state()},
            "env": self.env.state_dict(),
            "eval_env": self.eval_env.state_dict(),  # evaluations go on to new episodes
            "observations": np.asarray(self.observations),
            "last_metrics": dict(self.last_metrics),
        }

    def _header(self) -> dict[str, Any]:
        return {"preset": self.preset.name, "agent": type(self.preset.agent).agent_path,
                "env_steps": self.counters.env_steps}

    def _write_checkpoint(self, name: str) -> Path:
        self.logger.flush()  # every row the checkpoint counts (csv_rows) is on disk before it
        try:
            return ckpt.write_checkpoint(self.checkpoint_dir, name, self._state(),
                                         header=self._header())
        except OSError as exc:
            kept = ckpt.list_checkpoints(self.checkpoint_dir)
            raise CheckpointError(
                f"could not write checkpoint {name} in {self.checkpoint_dir}: "
                f"{exc.strerror or exc}; the previous checkpoint "
                f"{kept[-1].name if kept else '(none)'} is intact") from exc

    def save_checkpoint(self) -> Path:
        path = self._write_checkpoint(ckpt.checkpoint_name(self.counters.env_steps))
        ckpt.prune(self.checkpoint_dir, self.preset.run.keep_checkpoints)
        self._arm_checkpoint_clock()
        return path

    def _arm_checkpoint_clock(self) -> None:
        """The next timed checkpoint falls due ``schedule.checkpoint_seconds`` from now."""
        seconds = float(self.preset.schedule.checkpoint_seconds)
        self._checkpoint_deadline = time.monotonic() + seconds if seconds > 0 else math.inf

    def load_checkpoint(self, path: Path, *, evaluation_state: bool = True) -> None:
        """Restore a checkpoint; ``evaluation_state=False`` keeps the evaluation envs freshly
        seeded (``coachrl evaluate``, whose ``--seed`` chooses the episodes)."""
        expect = {"preset": self.preset.name, "agent": type(self.preset.agent).agent_path}
        _, state = ckpt.read_checkpoint(path, expect=expect)
        self.agent.load_state_dict(state["agent"])
        counters = state["counters"]
        self.counters = Counters(**counters)
        self.filters.load_state_dict(state["filters"])
        self.agent.set_rng_state(state["rng"]["agent"])
        self.learner.set_rng_state(state["rng"]["learner"])
        self.last_metrics = dict(state.get("last_metrics", {}))
        if self.env.load_state_dict(state.get("env", {})):
            self.observations = state["observations"]
        if evaluation_state:
            self.eval_env.load_state_dict(state.get("eval_env", {}))

    def _restore_latest(self) -> None:
        """Load the newest checkpoint that reads cleanly (older ones, and the best one, are the
        fallback)."""
        found = ckpt.resume_candidates(self.checkpoint_dir, BEST)
        if not found:
            raise CheckpointError(f"{str(self.run_dir)!r} has no checkpoint to resume from "
                                  f"(looked in {self.checkpoint_dir})")
        errors = []
        for path in found:
            try:
                self.load_checkpoint(path)
                return
            except CheckpointError as exc:
                errors.append(str(exc))
        raise CheckpointError("no checkpoint of this run could be loaded: " + "; ".join(errors))

    def request_stop(self, reason: str) -> None:
        """Stop at the next step with a final checkpoint, as SIGINT does."""
        self._stop_signal = reason

    # -- signals and shutdown ----------------------------------------------------------------
    def _install_signal_handlers(self) -> dict[int, Any]:
        def handler(signum: int, frame: FrameType | None) -> None:
            if self._stop_signal is not None and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self._stop_signal = signal.Signals(signum).name

        previous: dict[int, Any] = {}
        try:
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread: leave signals to the caller
            pass
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    def _close(self) -> None:
        final = {"final/eval_return": self.counters.last_eval or 0.0,
                 "final/best_eval_return": self.counters.best_eval
                 if np.isfinite(self.counters.best_eval) else 0.0}
        self.logger.close(hparams=preset_hparams(self.preset), final=final)
        self.env.close()
        self.eval_env.close()
