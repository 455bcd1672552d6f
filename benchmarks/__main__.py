"""The benchmark runner.

python -m benchmarks list
python -m benchmarks run NAME|all [--seeds 3] [--repeats 5] [--quick] [--keep] [--jobs N]
                                  [--case CASE ...] [--out benchmarks/results]
python -m benchmarks table [--check]   # benchmarks/README.md's results table from results/*.csv
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

from benchmarks import BENCHMARKS
from benchmarks.common import Options, Report, Stamp
from benchmarks.output import markdown, read_csv, write_report
from benchmarks.table import RESULTS, update_readme

# measured per seed: --keep applies
LEARNING = ("ppo_cartpole", "dqn_cartpole", "sac_pendulum", "qrdqn_cartpole", "td3_pendulum",
            "a2c_cartpole", "halfcheetah")


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


def _in_parallel(name: str, options: Options, jobs: int, out_dir: Path, stamp: Stamp) -> Report:
    """The seeds in ``jobs`` processes (seed % jobs picks the process), merged into one report
    with the kept seeds; each process interleaves its own seeds as a single one would.

    Each process rewrites its folder ``OUT/.shards/NAME/i-of-N/NAME.csv`` after every seed and,
    started again with ``--keep``, runs only the seeds that file lacks: a long run stopped
    midway loses at most the seeds in progress. The folders go once the merge is written."""
    module = importlib.import_module(BENCHMARKS[name])
    shards = out_dir / ".shards" / name
    outs = [shards / f"{index}-of-{jobs}" for index in range(jobs)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks",
                "run",
                name,
                "--seeds",
                str(options.seeds),
                "--shard",
                f"{index}/{jobs}",
                "--out",
                str(out),
                "--stamp",
                f"{stamp.commit}@{stamp.date}",
                *(["--keep"] if out.is_dir() else []),
                *(["--quick"] if options.quick else []),
            ]
        )
        for index, out in enumerate(outs)
    ]
    if any(process.wait() != 0 for process in processes):
        raise SystemExit(
            f"{name}: a --jobs process failed; its finished seeds are in {shards} "
            "(run again with --keep to go on)"
        )
    kept = {s.repeat for s in options.kept}
    report = Report(module.TITLE, list(options.kept))
    for out in outs:  # stamped by this run, or by the run that measured a kept seed
        report.samples += [s for s in read_csv(out / f"{name}.csv") if s.repeat not in kept]
    report.samples.sort(key=lambda s: s.repeat)
    module.summarise(report, options.quick)
    report.notes.append(f"Seeds ran in {jobs} processes at once (--jobs {jobs}), one per core.")
    return report


def _run(
    names: list[str],
    options: Options,
    out_dir: Path,
    *,
    keep: bool = False,
    jobs: int = 1,
    given_stamp: Stamp | None = None,
) -> int:
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        pending = getattr(module, "PENDING", "")
        if pending:
            print(f"{name}: pending ({pending})")
            continue
        start, stamp = time.perf_counter(), given_stamp or Stamp.now()
        these = _kept(name, options, out_dir) if keep else options
        if jobs > 1:
            report = _in_parallel(name, these, jobs, out_dir, stamp)
        else:
            if options.shard != (0, 1) and name in LEARNING:  # a --jobs process: every seed kept
                these = dataclasses.replace(these, partial=out_dir / f"{name}.csv", stamp=stamp)
            report = module.run(these)
        report.stamp(stamp)
        if options.cases:
            report = _with_other_cases(module, report, options, out_dir / f"{name}.csv")
        paths = write_report(report, name, out_dir)
        if jobs > 1:
            shutil.rmtree(out_dir / ".shards" / name, ignore_errors=True)
        print(markdown(report, name))
        print(
            f"{name}: {time.perf_counter() - start:.0f} s; wrote "
            f"{', '.join(str(p) for p in paths)}",
            flush=True,
        )
    return 0


def _with_other_cases(module: ModuleType, report: Report, options: Options, path: Path) -> Report:
    """``report`` (only ``cases`` measured) with the samples of every other case that ``path``
    holds, as they were measured (their own commit and date), summarised again."""
    cases = options.cases
    kept = [s for s in read_csv(path) if s.case not in cases] if path.is_file() else []
    merged = Report(report.title, kept + [s for s in report.samples if s.case in cases])
    module.summarise(merged, options.quick)
    return merged


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    try:
        shard = int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: expected INDEX/COUNT") from None
    if not 0 <= shard[0] < shard[1]:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: expected 0 <= INDEX < COUNT")
    return shard


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the benchmarks and whether they can run")
    table = commands.add_parser(
        "table",
        help="write benchmarks/README.md's results table "
        "from results/*.csv, with the verdicts of the benchmarks' rules",
    )
    table.add_argument(
        "--check", action="store_true", help="change nothing; fail if the README's table differs"
    )
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
    run.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="learning benchmarks: run the seeds in this many processes at once",
    )
    run.add_argument(
        "--case",
        action="append",
        default=[],
        dest="cases",
        help="benchmarks with named cases (scaling): run only this case (repeatable); the other "
        "cases' samples in OUT/NAME.csv are kept as they were measured",
    )
    run.add_argument("--shard", type=_shard, default=(0, 1), help=argparse.SUPPRESS)
    run.add_argument("--stamp", default="", help=argparse.SUPPRESS)  # a --jobs parent's run
    run.add_argument("--out", type=Path, default=RESULTS, help=f"result folder (default {RESULTS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list()
    if args.command == "table":
        return update_readme(check=args.check)
    if args.name != "all" and args.name not in BENCHMARKS:
        parser.error(
            f"unknown benchmark {args.name!r}; expected all or one of "
            f"{', '.join(BENCHMARKS)} (python -m benchmarks list)"
        )
    if min(args.seeds, args.repeats, args.jobs) < 1:
        parser.error("--seeds, --repeats and --jobs must be at least 1")
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    for flag, used in (("--keep", args.keep), ("--jobs", args.jobs > 1)):
        if used and any(name not in LEARNING for name in names):
            parser.error(
                f"{flag} applies to the learning benchmarks ({', '.join(LEARNING)}), "
                f"not to {args.name!r}"
            )
    if args.cases:
        module = importlib.import_module(BENCHMARKS[args.name]) if args.name != "all" else None
        known = getattr(module, "CASES", ())
        if not known or set(args.cases) - set(known):
            parser.error(
                f"--case {', '.join(args.cases)}: {args.name!r} has "
                + (f"the cases {', '.join(known)}" if known else "no named cases")
            )
    options = Options(
        seeds=args.seeds,
        repeats=args.repeats,
        quick=args.quick,
        shard=args.shard,
        cases=tuple(args.cases),
    )
    commit, _, date = args.stamp.partition("@")
    given = Stamp(commit, date) if args.stamp else None
    return _run(names, options, args.out, keep=args.keep, jobs=args.jobs, given_stamp=given)


if __name__ == "__main__":
    sys.exit(main())
