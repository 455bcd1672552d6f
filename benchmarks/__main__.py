"""The benchmark runner.

python -m benchmarks list
python -m benchmarks run NAME|all [--seeds 3] [--repeats 5] [--quick] [--keep]
                                  [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
import time
from pathlib import Path

from benchmarks import BENCHMARKS
from benchmarks.common import Options
from benchmarks.output import markdown, read_csv, write_report

RESULTS = Path(__file__).parent / "results"
LEARNING = ("ppo_cartpole", "dqn_cartpole", "sac_pendulum")  # measured per seed: --keep applies


def _list() -> int:
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        pending = getattr(module, "PENDING", "")
        status = f"pending: {pending}" if pending else "ready"
        print(f"{name:15s} {module.TITLE}  [{status}]")
    return 0


def _kept(name: str, options: Options, out_dir: Path) -> Options:
    """``options`` carrying the seeds below ``options.seeds`` that OUT/NAME.csv holds."""
    path = out_dir / f"{name}.csv"
    kept = [s for s in read_csv(path) if s.repeat < options.seeds] if path.is_file() else []
    print(f"{name}: keeping seeds {sorted({s.repeat for s in kept})} from {path}", flush=True)
    return dataclasses.replace(options, kept=tuple(kept))


def _run(names: list[str], options: Options, out_dir: Path, keep: bool = False) -> int:
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        pending = getattr(module, "PENDING", "")
        if pending:
            print(f"{name}: pending ({pending})")
            continue
        start = time.perf_counter()
        report = module.run(_kept(name, options, out_dir) if keep else options)
        paths = write_report(report, name, out_dir)
        print(markdown(report, name))
        print(
            f"{name}: {time.perf_counter() - start:.0f} s; wrote "
            f"{', '.join(str(p) for p in paths)}",
            flush=True,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the benchmarks and whether they can run")
    run = commands.add_parser("run", help="run one benchmark, or all")
    run.add_argument("name", help=f"one of: all, {', '.join(BENCHMARKS)}")
    run.add_argument(
        "--seeds", type=int, default=3, help="seeds of the learning benchmarks (default 3)"
    )
    run.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="interleaved repeats of the timing benchmarks (default 5)",
    )
    run.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds per benchmark, to check that it runs (numbers mean nothing)",
    )
    run.add_argument(
        "--keep",
        action="store_true",
        help=f"learning benchmarks ({', '.join(LEARNING)}): keep the seeds OUT/NAME.csv holds "
        "and run only the missing ones up to --seeds",
    )
    run.add_argument("--out", type=Path, default=RESULTS, help=f"result folder (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list()
    if args.name != "all" and args.name not in BENCHMARKS:
        parser.error(
            f"unknown benchmark {args.name!r}; expected all or one of "
            f"{', '.join(BENCHMARKS)} (python -m benchmarks list)"
        )
    if min(args.seeds, args.repeats) < 1:
        parser.error("--seeds and --repeats must be at least 1")
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    if args.keep and any(name not in LEARNING for name in names):
        parser.error(f"--keep applies to the learning benchmarks ({', '.join(LEARNING)}), "
                     f"not to {args.name!r}")
    options = Options(seeds=args.seeds, repeats=args.repeats, quick=args.quick)
    return _run(names, options, args.out, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
