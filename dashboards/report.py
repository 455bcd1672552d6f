"""``coachrl compare``: one self-contained HTML page comparing groups of runs across seeds."""

from __future__ import annotations

import math
import time
from html import escape
from pathlib import Path

import numpy as np

from coachrl.dashboards.runs import Run, discover_runs
from coachrl.dashboards.stats import (
    GroupSummary,
    Interval,
    best_return,
    config_differences,
    final_return,
    group_runs,
    summarise,
)
from coachrl.dashboards.svg import PALETTE, Series, line_chart
from coachrl.errors import ConfigError

X_TITLES = {"env_steps": "env steps", "wall_time": "wall-clock time (s)"}
STYLE = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}
.band-minmax,.seed{display:none}body.minmax .band-minmax{display:inline}
body.minmax .band-std{display:none}body.seeds .seed{display:inline}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px}
"""
SCRIPT = """
document.querySelectorAll('input[data-toggle]').forEach(function (box) {
  box.addEventListener('change', function () {
    document.body.classList.toggle(box.dataset.toggle, box.checked);
  });
});
document.body.dataset.ready = String(document.querySelectorAll('svg.chart').length);
"""


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.{digits}f}"


def _interval(cell: Interval) -> str:
    if cell.n < 2:
        return _fmt(cell.mean)
    return f"{_fmt(cell.mean)} [{_fmt(cell.low)}, {_fmt(cell.high)}]"


def _series(summary: GroupSummary) -> Series:
    curve = summary.curve
    if not len(curve.values):
        empty = np.zeros(0)
        return Series(summary.name, empty, empty, (empty, empty), (empty, empty), curve.values)
    mean, std = curve.mean, curve.std
    return Series(label=f"{summary.name} (n={summary.seeds})", x=curve.x, mean=mean,
                  std_band=(mean - std, mean + std), minmax_band=(curve.low, curve.high),
                  seeds=curve.values)


def _steps_cell(steps: list[int | None]) -> str:
    reached = [s for s in steps if s is not None]
    if not reached:
        return f"0/{len(steps)}"
    return f"{len(reached)}/{len(steps)}, median {int(np.median(reached)):,}"


def summary_table(summaries: list[GroupSummary]) -> str:
    """Group | seeds | final and best evaluation return with 95% CI | steps to threshold."""
    rows = ['<table id="summary"><tr><th class="l">group</th><th>seeds</th>'
            "<th>final return, mean [95% CI]</th><th>best return, mean [95% CI]</th>"
            "<th>threshold</th><th>runs reaching it, median steps</th></tr>"]
    for index, s in enumerate(summaries):
        color = PALETTE[index % len(PALETTE)]
        rows.append(f'<tr class="group" data-group="{escape(s.name)}" data-seeds="{s.seeds}">'
                    f'<td class="l"><span class="swatch" style="background:{color}"></span>'
                    f"{escape(s.name)}</td><td>{s.seeds}</td><td>{_interval(s.final)}</td>"
                    f"<td>{_interval(s.best)}</td><td>{_fmt(s.threshold)}</td>"
                    f"<td>{_steps_cell(s.steps_to_threshold) if s.threshold is not None else '-'}"
                    "</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def runs_table(summaries: list[GroupSummary]) -> str:
    """One row per run: where it came from, its seed, final and best return, steps to threshold."""
    rows = ['<table id="runs"><tr><th class="l">group</th><th class="l">run</th><th>seed</th>'
            "<th>source</th><th>evaluations</th><th>final</th><th>best</th>"
            "<th>steps to threshold</th></tr>"]
    for s in summaries:
        for run, steps in zip(s.runs, s.steps_to_threshold, strict=True):
            rows.append(
                f'<tr><td class="l">{escape(s.name)}</td><td class="l">{escape(run.name)}</td>'
                f"<td>{'-' if run.seed is None else run.seed}</td><td>{run.source}</td>"
                f"<td>{len(run.evaluation.values)}</td><td>{_fmt(final_return(run))}</td>"
                f"<td>{_fmt(best_return(run))}</td>"
                f"<td>{'-' if steps is None else f'{steps:,}'}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def config_table(differences: dict[str, dict[str, str]], groups: list[str]) -> str:
    if not differences:
        return '<p id="config-same">The groups\' configs do not differ (seeds aside).</p>'
    header = "".join(f'<th class="l">{escape(g)}</th>' for g in groups)
    rows = [f'<table id="config"><tr><th class="l">config key</th>{header}</tr>']
    for key, cells in differences.items():
        row = "".join(f'<td class="l">{escape(cells[g])}</td>' for g in groups)
        rows.append(f'<tr><td class="l"><code>{escape(key)}</code></td>{row}</tr>')
    rows.append("</table>")
    return "\n".join(rows)


def render_report(runs: list[Run], *, group_by: str = "preset", axis: str = "env_steps",
                  threshold: float | None = None) -> str:
    """The whole HTML page for ``runs``."""
    groups = group_runs(runs, group_by)
    summaries = summarise(groups, axis=axis, threshold=threshold)
    which = ("evaluation return" if all(len(r.evaluation.values) for r in runs)
             else "evaluation return (training return where a run never evaluated)")
    chart = line_chart([_series(s) for s in summaries], x_title=X_TITLES[axis], y_title=which)
    controls = ('<label><input type="checkbox" data-toggle="minmax"> min/max band instead of '
                'std</label> <label><input type="checkbox" data-toggle="seeds"> each seed'
                "</label>")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>coachrl compare</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>coachrl compare</h1>",
        f"<p>{len(runs)} runs in {len(groups)} groups by {escape(group_by)}; generated "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}. Curves are each group's seeds interpolated "
        "onto the x range all of them cover: the line is the mean, the band ± one std "
        "(or min/max). Intervals are t-based 95% confidence intervals over seeds.</p>",
        "<h2>Learning curves</h2>", controls, f'<div id="curves">{chart}</div>',
        "<h2>Final and best returns</h2>", summary_table(summaries),
        "<h2>Runs</h2>", runs_table(summaries),
        "<h2>Config keys that differ</h2>", config_table(config_differences(groups),
                                                         list(groups)),
        f"<script>{SCRIPT}</script>", "</body></html>", ""])


def write_report(paths: list[Path], *, out: Path, group_by: str = "preset",
                 axis: str = "env_steps", threshold: float | None = None) -> Path:
    """Read every run under ``paths`` and write the report to ``out``.

    Raises:
        ConfigError: a path is missing or holds no runs, or an option is invalid.
    """
    if axis not in X_TITLES:
        raise ConfigError(f"--x {axis!r} is not valid; expected one of {', '.join(X_TITLES)}")
    runs = discover_runs(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(runs, group_by=group_by, axis=axis, threshold=threshold),
                   encoding="utf-8")
    return out
