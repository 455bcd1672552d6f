"""benchmarks/README.md's results table, written from results/*.csv by the benchmarks' own rules.

The table sits between two markers in the README; ``python -m benchmarks table`` rewrites it and
``--check`` (run by the tests) fails when the README's copy differs, so a verdict shown there is
always the one the code computes from the measured samples.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from benchmarks import BENCHMARKS
from benchmarks.common import Report, VerdictRow, verdict_rows
from benchmarks.output import read_csv

HERE = Path(__file__).parent
RESULTS, README = HERE / "results", HERE / "README.md"
BEGIN = "<!-- results table: written by `python -m benchmarks table`; do not edit by hand -->"
END = "<!-- end of results table -->"


def _runs(report: Report, case: str) -> str:
    """The runs that measured ``case``'s samples (a case re-measured alone has its own)."""
    runs = Report(report.title, [s for s in report.samples if s.case == case]).runs()
    if not runs:
        return ""
    text = "; ".join(f"{stamp.commit} {stamp.date}".strip() for stamp, _ in runs)
    return text if len(runs) == 1 else f"mixed: {text}"


def _line(number: int, name: str, row: VerdictRow, runs: str) -> str:
    what = f"{name}, {row.case}: {row.metric}" + (f" ({row.comparison})" if row.comparison else "")
    return (
        f"| {number} | {what} | {row.numerator} | {row.denominator} | {row.measured} | "
        f"{row.target} | {row.verdict} | {runs} |"
    )


def table(results: Path = RESULTS) -> str:
    """The markdown table of every benchmark's verdict rows, from the CSVs in ``results``."""
    lines = [
        "| # | comparison | numerator | denominator | ratio or test | target | verdict | "
        "measured at (commit, UTC) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, (name, module_name) in enumerate(BENCHMARKS.items(), start=1):
        path = results / f"{name}.csv"
        if not path.is_file():
            lines.append(f"| {number} | {name}: not measured | | | | | | |")
            continue
        module = importlib.import_module(module_name)
        report = Report(module.TITLE, read_csv(path))
        module.summarise(report)
        lines += [_line(number, name, row, _runs(report, row.case)) for row in verdict_rows(report)]
    return "\n".join(lines)


def update_readme(*, check: bool = False, readme: Path = README, results: Path = RESULTS) -> int:
    """Rewrite the table between the markers (or, with ``check``, compare); 0 when in step."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        print(f"{readme}: the markers of the results table are missing")
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    updated = f"{head}{BEGIN}\n{table(results)}\n{END}{tail}"
    if check:
        if updated != text:
            print(
                f"{readme}'s results table differs from what results/*.csv give; "
                "run python -m benchmarks table"
            )
            return 1
        return 0
    readme.write_text(updated)
    print(f"wrote the results table of {readme}")
    return 0
