"""The ``coachrl`` command: train, evaluate, export, presets (and the dashboard side)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from coachrl import commands_dashboard
from coachrl.commands import EXIT_INTERRUPTED
from coachrl.errors import CheckpointError, CoachrlError, ConfigError

EXIT_ERROR = 2



class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="coachrl", description="Reinforcement-learning agents from blocks.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    _add_train(commands)
    _add_evaluate(commands)
    _add_export(commands)
    _add_tune(commands)
    _add_collect(commands)
    _add_ope(commands)
    commands.add_parser("presets", help="list presets with env, agent and threshold")
    # dashboard, compare, and train --seeds
    commands_dashboard.add_parsers(commands, commands.choices["train"])
    return parser


def _add_train(commands: argparse._SubParsersAction) -> None:
    """``train``: a preset (or --resume), overrides, env choice, stopping."""
    train = commands.add_parser("train", help="train a preset (a name or a .py file)")
    train.add_argument("preset", nargs="?", help="preset name (see `coachrl presets`) or path")
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue a run from its last checkpoint")
    train.add_argument("--seed", type=int, help="random seed (default: the preset's, 0)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a parameter, e.g. agent.learning_rate=5e-4 (repeatable)")
    train.add_argument("--env", metavar="ID_OR_MODULE:CLASS",
                       help="run the preset's agent on another env: a Gymnasium id or a class "
                            "from your module (env.env_id)")
    train.add_argument("--level", metavar="NAME",
                       help="one of the preset's levels (`coachrl presets` lists them)")
    train.add_argument("--no-env-check", action="store_true",
                       help="skip Gymnasium's env checker on a module:Class env")
    train.add_argument("--experiment-dir", help="parent directory of run directories")
    train.add_argument("--device", choices=("cpu", "cuda", "auto"), help="learner device")
    train.add_argument("--stop-at-threshold", action="store_true",
                       help="stop once evaluation reaches the preset's validation threshold")
    train.add_argument("--quiet", action="store_true", help="no progress output")
    train.add_argument("--dataset", metavar="FILE",
                       help="batch RL: train from a dataset (coachrl collect; .h5, or Coach's "
                            ".csv) instead of the env, which only evaluates (run.dataset)")
    train.add_argument("--epochs", type=int, metavar="E",
                       help="with --dataset: passes over it (run.epochs)")
    _add_workers(train)


def _add_workers(train: argparse.ArgumentParser) -> None:
    """``train``'s distributed flags: shortcuts for ``run.*`` worker settings."""
    workers = train.add_argument_group("distributed (Ray; see docs/distributed.md)")
    workers.add_argument("--workers", type=int, metavar="N",
                         help="rollout worker processes on Ray (run.workers; default 0: no Ray, "
                              "one process)")
    workers.add_argument("--envs-per-worker", type=int, metavar="K",
                         help="envs in each worker (default: the preset's env.n_envs)")
    workers.add_argument("--mode", choices=("sync", "async"),
                         help="sync (default for on-policy agents) or async Ape-X (off-policy)")
    workers.add_argument("--address", metavar="ADDR",
                         help="existing Ray cluster: 'auto' or HOST:PORT (default: a local one)")
    workers.add_argument("--max-worker-restarts", type=int, metavar="R",
                         help="worker replacements allowed in the run (default 10)")
    workers.add_argument("--worker-timeout", type=float, metavar="SEC",
                         help="seconds a worker may take to answer one request before it is "
                              "taken for hung and replaced (default 120)")


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    """``evaluate``: a run, a checkpoint or an exported policy."""
    evaluate = commands.add_parser("evaluate", help="evaluate a run, checkpoint or exported "
                                                    "policy")
    evaluate.add_argument("target", help="run directory, checkpoint directory, or a policy "
                                         "written by `coachrl export` (.npz or .onnx)")
    evaluate.add_argument("--episodes", type=int, default=10, help="episodes to run (default 10)")
    evaluate.add_argument("--checkpoint", choices=("latest", "best"), default="latest",
                          help="which checkpoint of a run directory (default latest)")
    evaluate.add_argument("--seed", type=int, default=None, help="seed of the evaluation envs")
    evaluate.add_argument("--video", action="store_true",
                          help="record the first episode to RUN_DIR/videos/ (needs coachrl[video])")
    evaluate.add_argument("--render", action="store_true",
                          help="watch one episode in a window (needs a display)")


def _add_export(commands: argparse._SubParsersAction) -> None:
    """``export``: ONNX or a numpy bundle (docs/deploy.md)."""
    export = commands.add_parser("export", help="write a run's policy as ONNX or as a numpy "
                                                "bundle that runs without torch")
    export.add_argument("target", help="run directory or checkpoint directory")
    export.add_argument("--format", choices=("onnx", "numpy"), required=True,
                        help="onnx (+ a JSON spec beside it) or numpy (.npz, for coachrl.load)")
    export.add_argument("--out", required=True, help="file to write (policy.onnx, policy.npz)")
    export.add_argument("--checkpoint", choices=("latest", "best"), default="best",
                        help="which checkpoint of a run directory (default best, else latest)")


def _add_tune(commands: argparse._SubParsersAction) -> None:
    """``tune``: an Optuna study on Ray (docs/tune.md)."""
    tune = commands.add_parser("tune", help="search a preset's parameters (Optuna; trials on "
                                            "Ray); see docs/tune.md")
    tune.add_argument("preset", help="preset name or path")
    tune.add_argument("--param", dest="params", action="append", default=[], required=True,
                      metavar="KEY=KIND:ARGS",
                      help="a searched key: loguniform:LOW:HIGH, uniform:LOW:HIGH, int:LOW:HIGH, "
                           "logint:LOW:HIGH or choice:A,B,C (repeatable)")
    tune.add_argument("--trials", type=int, default=20, help="trials in the study (default 20)")
    tune.add_argument("--budget", type=int, required=True, metavar="STEPS",
                      help="env steps each trial trains")
    tune.add_argument("--workers", type=int, default=1,
                      help="trials at once, each a Ray task of one CPU (default 1)")
    tune.add_argument("--address", metavar="ADDR",
                      help="existing Ray cluster: 'auto' or HOST:PORT (default: a local one)")
    tune.add_argument("--study-dir", metavar="DIR",
                      help="where the study, its trials' runs and its table live; the same "
                           "command resumes it (default experiments/tune/PRESET)")
    tune.add_argument("--out", metavar="FILE.py", help="write a preset file with the best values")
    tune.add_argument("--seed", type=int, default=0, help="the trials' seed and the sampler's")
    tune.add_argument("--evaluation-period", type=int, metavar="STEPS",
                      help="env steps between the evaluations the pruner sees (default: the "
                           "preset's)")
    tune.add_argument("--startup-trials", type=int, default=4,
                      help="trials before TPE and the pruner act (default 4)")
    tune.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="a fixed override for every trial (repeatable)")


def _add_collect(commands: argparse._SubParsersAction) -> None:
    """``collect``: a dataset of a policy's episodes (docs/batch_rl.md)."""
    collect = commands.add_parser("collect", help="record a policy's episodes into a dataset "
                                                  "(batch RL, off-policy evaluation)")
    collect.add_argument("target", help="run directory (its policy), or a preset with --random")
    collect.add_argument("--episodes", type=int, required=True, help="episodes to record")
    collect.add_argument("--out", required=True, help="dataset file to write (.h5)")
    collect.add_argument("--epsilon", type=float, default=0.0,
                         help="probability of a uniform action instead of the policy's "
                              "(default 0)")
    collect.add_argument("--random", action="store_true", help="uniform actions only")
    collect.add_argument("--stochastic", action="store_true",
                         help="sample the policy's own exploration instead of its "
                              "deterministic action")
    collect.add_argument("--seed", type=int, default=0, help="seed of the envs and the draws")
    collect.add_argument("--envs", type=int, default=8, help="envs stepped at once (default 8)")




def _add_ope(commands: argparse._SubParsersAction) -> None:
    """``ope``: off-policy estimates of a run's policy from a dataset (docs/batch_rl.md)."""
    ope = commands.add_parser("ope", help="estimate a run's return from a dataset without "
                                          "running it (off-policy evaluation)")
    ope.add_argument("target", help="run directory (its best checkpoint, else its last)")
    ope.add_argument("--dataset", required=True, help="dataset (coachrl collect; .h5 or Coach "
                                                      "CSV) with the logging policy's "
                                                      "probabilities")
    ope.add_argument("--checkpoint", choices=("best", "last"), default="best")
    ope.add_argument("--discount", type=float, default=None,
                     help="discount of the estimated return (default: the agent's)")
    ope.add_argument("--models", type=int, default=3,
                     help="FQE models fitted on resampled episodes (default 3)")
    ope.add_argument("--fqe-steps", type=int, default=10_000,
                     help="gradient steps of each FQE fit (default 10,000)")
    ope.add_argument("--resamples", type=int, default=200,
                     help="bootstrap resamples per model (default 200)")
    ope.add_argument("--confidence", type=float, default=0.95, help="interval level (0.95)")
    ope.add_argument("--measure", type=int, default=0, metavar="EPISODES",
                     help="also run the policy for EPISODES episodes and print its measured "
                          "returns beside the estimates")
    ope.add_argument("--seed", type=int, default=0)
    ope.add_argument("--json", dest="json_out", default=None, metavar="FILE",
                     help="write the estimates (and measured returns) to FILE as JSON")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from coachrl import commands

    handlers = {"train": commands.train, "evaluate": commands.evaluate,
                "export": commands.export, "tune": commands.tune,
                "collect": commands.collect, "ope": commands.ope,
                "presets": commands.presets, "dashboard": commands_dashboard.dashboard,
                "compare": commands_dashboard.compare}
    if args.command == "train" and args.seeds is not None:
        handlers["train"] = commands_dashboard.train_seeds
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CoachrlError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


__all__ = ["CheckpointError", "ConfigError", "Path", "build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
