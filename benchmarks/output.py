"""Result files of one benchmark: raw CSV, a markdown summary with ratios, and a bar plot."""

from __future__ import annotations

import csv
import platform
import time
from dataclasses import asdict, fields
from pathlib import Path

from benchmarks.common import Report, Sample, fmt_spread, paired_ratios, ratio_verdict, spread


def _groups(report: Report) -> list[tuple[str, str, str]]:
    """(case, metric, library) in first-seen order."""
    seen: dict[tuple[str, str, str], None] = {}
    for s in report.samples:
        seen.setdefault((s.case, s.metric, s.library), None)
    return list(seen)


def markdown(report: Report, name: str) -> str:
    lines = [
        f"# {report.title}",
        "",
        f"`python -m benchmarks run {name}` on {platform.node() or 'this machine'}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; median (min–max) over seeds or repeats.",
        "",
        "| case | metric | library | median (min–max) | n |",
        "|---|---|---|---|---|",
    ]
    for case, metric, library in _groups(report):
        values = [
            s.value
            for s in report.samples
            if (s.case, s.metric, s.library) == (case, metric, library)
        ]
        count = spread(values)[3]
        lines.append(
            f"| {case} | {metric} | {library} | {fmt_spread(values)} | {count}/{len(values)} |"
        )
    if report.ratios:
        lines += [
            "",
            "Ratios, paired by seed or repeat (measured in the same run):",
            "",
            "| case | metric | ratio | median (min–max) | target | verdict |",
            "|---|---|---|---|---|---|",
        ]
        for r in report.ratios:
            lines.append(
                f"| {r.case} | {r.metric} | {r.numerator} / {r.denominator} | "
                f"{fmt_spread(paired_ratios(report, r))} | {r.target} | "
                f"{ratio_verdict(report, r)} |"
            )
    if report.notes:
        lines += ["", *[f"- {note}" for note in report.notes]]
    return "\n".join(lines) + "\n"


def write_csv(report: Report, path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Sample)])
        writer.writeheader()
        writer.writerows(asdict(s) for s in report.samples)


def read_csv(path: Path) -> list[Sample]:
    """The samples ``write_csv`` wrote."""
    with open(path, newline="") as handle:
        return [Sample(row["case"], row["library"], row["metric"], float(row["value"]),
                       int(row["repeat"])) for row in csv.DictReader(handle)]


def plot(report: Report, path: Path) -> None:
    """One panel per metric: median bars per case and library, whiskers at min and max."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(s.metric for s in report.samples))
    figure, axes = plt.subplots(
        1, max(len(metrics), 1), figsize=(5.5 * max(len(metrics), 1), 4), squeeze=False
    )
    for axis, metric in zip(axes[0], metrics, strict=False):
        groups = [g for g in _groups(report) if g[1] == metric]
        cases = list(dict.fromkeys(g[0] for g in groups))
        libraries = list(dict.fromkeys(g[2] for g in groups))
        width = 0.8 / max(len(libraries), 1)
        for index, library in enumerate(libraries):
            xs, medians, errors = [], [], [[], []]
            for position, case in enumerate(cases):
                values = [
                    s.value
                    for s in report.samples
                    if (s.case, s.metric, s.library) == (case, metric, library)
                ]
                median, low, high, count = spread(values)
                if count:
                    xs.append(position + index * width)
                    medians.append(median)
                    errors[0].append(median - low)
                    errors[1].append(high - median)
            axis.bar(xs, medians, width, yerr=errors, capsize=3, label=library)
        axis.set_xticks([p + 0.4 - width / 2 for p in range(len(cases))], cases, fontsize=8)
        axis.set_title(metric, fontsize=10)
        axis.legend(fontsize=7)
    figure.suptitle(report.title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(report: Report, name: str, out_dir: Path) -> list[Path]:
    """Write NAME.csv, NAME.md and NAME.png under ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.csv", out_dir / f"{name}.md", out_dir / f"{name}.png"]
    write_csv(report, paths[0])
    paths[1].write_text(markdown(report, name))
    plot(report, paths[2])
    return paths
