"""The benchmark runner.

python -m benchmarks list
python -m benchmarks run NAME|all [--seeds 3] [--repeats 5] [--quick] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from benchmarks import BENCHMARKS
from benchmarks.common import Options
from benchmarks.output import markdown, write_report

RESULTS = Path(__file__).parent / "results"


def _list() -> int:
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        pending = getattr(module, "PENDING", "")
        status = f"pending: {pending}" if pending else "ready"
        print(f"{name:15s} {module.TITLE}  [{status}]")
    return 0


def _run(names: list[str], options: Options, out_dir: Path) -> int:
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        pending = getattr(module, "PENDING", "")
        if pending:
            print(f"{name}: pending ({pending})")
            continue
        start = time.perf_counter()
        report = module.run(options)
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
    return _run(names, Options(seeds=args.seeds, repeats=args.repeats, quick=args.quick), args.out)


if __name__ == "__main__":
    sys.exit(main())
