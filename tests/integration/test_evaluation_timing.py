"""An evaluation that falls due mid-rollout waits for the rollout's training, so it scores the
newest policy; one still waiting when the budget runs out runs at the end."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.evaluation import EvaluationResult
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir


def _trainer(name: str, tmp_path: Path, improve: int, period: int) -> Trainer:
    preset = apply_overrides(load_preset(name), [
        f"schedule.improve_steps={improve}", f"schedule.evaluation_period={period}",
        "schedule.evaluation_episodes=1", f"run.experiment_dir={tmp_path}"])
    return Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)


def _record(trainer: Trainer) -> list[tuple[str, int]]:
    """('train' | 'evaluate', env steps) in the order the trainer does them."""
    events: list[tuple[str, int]] = []
    train = trainer.agent.train

    def recorded_train(step: int) -> dict[str, float]:
        events.append(("train", step))
        return train(step)

    def recorded_evaluate(**_: object) -> EvaluationResult:
        events.append(("evaluate", trainer.counters.env_steps))
        return EvaluationResult(np.zeros(1), np.ones(1, dtype=np.int64))

    trainer.agent.train = recorded_train  # type: ignore[method-assign]
    trainer.evaluate_now = recorded_evaluate  # type: ignore[method-assign]
    return events


def test_on_policy_evaluations_follow_the_training_of_their_rollout(tmp_path: Path) -> None:
    # 8 envs x 32 steps: rollouts of about 256 env steps; evaluations every 300 fall inside them
    trainer = _trainer("CartPole_ClippedPPO", tmp_path, improve=2_000, period=300)
    events = _record(trainer)
    trainer.run()
    evaluations = [index for index, (kind, _) in enumerate(events) if kind == "evaluate"]
    assert len(evaluations) == 2_000 // 300  # one per boundary crossed, none lost
    for index in evaluations[:-1]:
        assert events[index - 1][0] == "train"  # straight after a training call ...
        assert events[index][1] == events[index - 1][1]  # ... with no env step between
    # the budget ends mid-rollout with the 6th evaluation due: it runs at the end
    assert events[evaluations[-1]][1] >= 1_800
    assert trainer.counters.evaluations == len(evaluations)


def test_off_policy_evaluations_are_not_delayed(tmp_path: Path) -> None:
    trainer = _trainer("CartPole_DQN", tmp_path, improve=1_500, period=500)
    events = _record(trainer)
    trainer.run()
    assert [step for kind, step in events if kind == "evaluate"] == [500, 1_000, 1_500]
