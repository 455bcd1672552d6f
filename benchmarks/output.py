"""Result files of one benchmark: raw CSV, a markdown summary with verdicts, and a bar plot."""

from __future__ import annotations

import csv
from dataclasses import asdict, fields
from pathlib import Path

from benchmarks.common import Report, Sample, fmt_spread, spread, verdict_rows

UNRECORDED = "unrecorded"  # the commit of rows written before results carried one


def _groups(report: Report) -> list[tuple[str, str, str]]:
    """(case, metric, library) in first-seen order."""
    seen: dict[tuple[str, str, str], None] = {}
    for s in report.samples:
        seen.setdefault((s.case, s.metric, s.library), None)
    return list(seen)


def _ranges(repeats: list[int]) -> str:
    """[0, 1, 2, 5] -> "0-2, 5"."""
    parts: list[str] = []
    for value in repeats:
        if parts and value == int(parts[-1].split("-")[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{value}"
        else:
            parts.append(str(value))
    return ", ".join(parts)


def provenance(report: Report) -> str:
    """Which runs the samples came from: one sentence, saying "one run" only where true."""
    runs = report.runs()
    described = [
        f"seeds/repeats {_ranges(repeats)} at commit {stamp.commit or UNRECORDED}"
        f"{', ' + stamp.date + ' UTC' if stamp.date else ''}"
        for stamp, repeats in runs
    ]
    if len(runs) == 1:
        return f"Measured in one run: {described[0]}."
    return f"**Mixed runs** (not one run; compare with care): {'; '.join(described)}."


def markdown(report: Report, name: str) -> str:
    lines = [
        f"# {report.title}",
        "",
        f"`python -m benchmarks run {name}`. {provenance(report)} Median (min–max) over seeds "
        "or repeats.",
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
    rows = verdict_rows(report)
    if rows:
        lines += [
            "",
            "Ratios paired by seed or repeat, and the verdicts of the benchmark's rules:",
            "",
            "| case | metric | ratio | median (min–max) | target | verdict |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.case} | {r.metric} | {r.comparison} | {r.measured} | {r.target} | {r.verdict} |"
            for r in rows
        ]
    if report.notes:
        lines += ["", *[f"- {note}" for note in report.notes]]
    return "\n".join(lines) + "\n"


def write_csv(report: Report, path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Sample)])
        writer.writeheader()
        writer.writerows(asdict(s) for s in report.samples)


def read_csv(path: Path) -> list[Sample]:
    """The samples ``write_csv`` wrote (rows from before the commit column: ``UNRECORDED``)."""
    with open(path, newline="") as handle:
        return [
            Sample(
                row["case"],
                row["library"],
                row["metric"],
                float(row["value"]),
                int(row["repeat"]),
                row.get("commit") or UNRECORDED,
                row.get("date") or "",
            )
            for row in csv.DictReader(handle)
        ]


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
