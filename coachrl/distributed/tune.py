"""The study of ``coachrl tune`` on Ray: Optuna in one actor, each trial a Ray task.

The ``StudyServer`` actor owns the Optuna study (TPE sampler, median pruner, journal storage in
the study directory) and runs on the driver's node, where that directory is. The driver asks it
for trials and hands each to a ``run_trial`` task (one CPU); a trial reports every evaluation
to the actor, which answers whether the pruner stops it. The same code serves a local Ray
(``--workers`` tasks at once on this machine) and an existing cluster (``--address``), whose
workers must see the preset (a registered name, or a file at the same path).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from coachrl.distributed.cluster import connect, disconnect
from coachrl.distributed.launch import require_ray
from coachrl.errors import CoachrlError, ConfigError
from coachrl.tune import JOURNAL, STUDY_NAME, ParamRange, TrialRecord, TuneSettings

INTERRUPTED = "interrupted.json"  # numbers of the trials a stopped study left running


class StudyServer:
    """The Optuna study, asked and told through Ray calls (one process touches its journal)."""

    def __init__(self, journal: str, settings: TuneSettings) -> None:
        import optuna
        from optuna.storages.journal import JournalFileBackend

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = optuna.storages.JournalStorage(JournalFileBackend(journal))
        self.params = settings.params
        self.study = optuna.create_study(
            study_name=STUDY_NAME, storage=storage, direction="maximize", load_if_exists=True,
            sampler=optuna.samplers.TPESampler(seed=settings.seed,
                                               n_startup_trials=settings.startup_trials),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=settings.startup_trials,
                                               n_warmup_steps=0))
        self.trials: dict[int, Any] = {}
        self.interrupted_file = Path(journal).parent / INTERRUPTED
        self.interrupted: set[int] = (set(json.loads(self.interrupted_file.read_text()))
                                      if self.interrupted_file.is_file() else set())
        self._recover()

    def _recover(self) -> None:
        """Trials a stopped study left running are closed as failed, listed as interrupted
        (left out of the counts and the table) and queued again with the same values."""
        from optuna.trial import TrialState

        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            self.interrupted.add(trial.number)
            self.interrupted_file.write_text(json.dumps(sorted(self.interrupted)))
            self.study.tell(trial.number, state=TrialState.FAIL)
            self.study.enqueue_trial(trial.params)

    def finished(self) -> int:
        """Trials that count toward ``--trials``: complete, pruned, failed on their own."""
        from optuna.trial import TrialState

        done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        return sum(1 for t in self.study.get_trials(deepcopy=False, states=done)
                   if t.number not in self.interrupted)

    def ask(self) -> tuple[int, dict[str, Any]]:
        trial = self.study.ask()
        values = {p.key: _suggest(trial, p) for p in self.params}
        self.trials[trial.number] = trial
        return trial.number, values

    def report(self, number: int, step: int, value: float) -> bool:
        """Record an evaluation; True when the pruner stops the trial."""
        trial = self.trials[number]
        trial.report(value, step)
        return bool(trial.should_prune())

    def tell(self, number: int, record: dict[str, Any]) -> None:
        from optuna.trial import TrialState

        trial = self.trials.pop(number)
        for key in ("run_dir", "env_steps", "seconds", "started", "finished", "error"):
            if record.get(key) not in (None, ""):
                trial.set_user_attr(key, record[key])
        if record["state"] == "COMPLETE":
            self.study.tell(trial, record["score"])
        else:
            if record.get("score") is not None:
                trial.set_user_attr("score", record["score"])
            state = TrialState.PRUNED if record["state"] == "PRUNED" else TrialState.FAIL
            self.study.tell(trial, state=state)

    def records(self) -> list[dict[str, Any]]:
        """Every trial but the interrupted ones (their values ran again as new trials)."""
        out = []
        for t in self.study.get_trials(deepcopy=False):
            if t.number in self.interrupted:
                continue
            attrs = t.user_attrs
            score = t.value if t.value is not None else attrs.get("score")
            out.append({"number": t.number, "state": t.state.name, "score": score,
                        "params": dict(t.params), "env_steps": attrs.get("env_steps"),
                        "seconds": attrs.get("seconds"), "started": attrs.get("started"),
                        "finished": attrs.get("finished"), "run_dir": attrs.get("run_dir", ""),
                        "error": attrs.get("error", "")})
        return out


def _suggest(trial: Any, p: ParamRange) -> Any:
    if p.kind == "choice":
        return trial.suggest_categorical(p.key, list(p.choices))
    if p.kind in ("int", "logint"):
        return trial.suggest_int(p.key, int(p.low), int(p.high), log=p.kind == "logint")
    return trial.suggest_float(p.key, p.low, p.high, log=p.kind == "loguniform")


def run_trial(settings: TuneSettings, study_dir: str, number: int, values: dict[str, Any],
              server: Any) -> dict[str, Any]:
    """Train one trial; every evaluation goes to the study's pruner."""
    import ray

    from coachrl.api import train

    started = time.time()
    record: dict[str, Any] = {"number": number, "started": started, "score": None}

    def on_evaluation(step: int, mean: float) -> bool:
        return bool(ray.get(server.report.remote(number, step, mean)))

    try:
        result = train(settings.preset, seed=settings.seed,
                       overrides=settings.trial_overrides(values),
                       experiment_dir=Path(study_dir) / "trials" / f"trial_{number:03d}",
                       on_evaluation=on_evaluation)
    except CoachrlError as exc:  # diverged, or a value the preset rejects
        record |= {"state": "FAIL", "error": f"{type(exc).__name__}: {exc}"}
    else:
        record |= {"state": "PRUNED" if result.reason == "stopped" else "COMPLETE",
                   "score": result.best_evaluation, "env_steps": result.env_steps,
                   "run_dir": str(result.run_dir)}
        if result.best_evaluation is None:
            record |= {"state": "FAIL", "error": "no evaluation within the budget"}
    record["finished"] = time.time()
    record["seconds"] = record["finished"] - started
    return record


def run_study(settings: TuneSettings, study_dir: Path, *, echo: Any = print
              ) -> list[TrialRecord]:
    """Run trials until the study holds ``settings.trials`` finished ones; their records."""
    require_ray()
    try:
        import optuna  # noqa: F401 (the study server imports it; fail here, plainly)
    except ImportError as exc:
        raise ConfigError(f"coachrl tune needs optuna ({exc}); install it with: "
                          "pip install 'coachrl[tune]'") from None
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    started = connect(settings.address)
    try:
        here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(),
                                              soft=False)  # the journal is on this node's disk
        server: Any = ray.remote(StudyServer).options(num_cpus=0, scheduling_strategy=here).remote(
            str(study_dir / JOURNAL), settings)
        task: Any = ray.remote(run_trial).options(num_cpus=1, max_retries=0)
        pending: dict[Any, int] = {}
        finished = int(ray.get(server.finished.remote()))
        if finished:
            echo(f"resuming: {finished} of {settings.trials} trials finished already")
        while True:
            while len(pending) < settings.workers and finished + len(pending) < settings.trials:
                number, values = ray.get(server.ask.remote())
                pending[task.remote(settings, str(study_dir), number, values, server)] = number
                echo(f"trial {number} started: " + ", ".join(f"{k}={v}" for k, v in
                                                            values.items()))
            if not pending:
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                number = pending.pop(ref)
                try:
                    record = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    record = {"number": number, "state": "FAIL",
                              "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
                ray.get(server.tell.remote(number, record))
                finished += 1
                score = record.get("score")
                echo(f"trial {number} {record['state'].lower()}"
                     + ("" if score is None else f": score {score:.1f}")
                     + (f" ({record['error']})" if record.get("error") else ""))
        return [TrialRecord(**r) for r in ray.get(server.records.remote())]
    finally:
        disconnect(started)
