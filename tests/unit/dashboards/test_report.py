"""The compare report: one self-contained page with the right groups, seeds and intervals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coachrl.cli import main
from coachrl.dashboards.layout import BAND_TAGS, layout_tags, rl_layout
from coachrl.dashboards.report import render_report
from coachrl.dashboards.runs import discover_runs
from coachrl.dashboards.svg import nice_ticks


def test_report_lists_groups_with_seed_counts_and_intervals(
        synthetic_runs: dict[str, Path]) -> None:
    html = render_report(discover_runs(list(synthetic_runs.values())), group_by="tag")
    groups = dict(re.findall(r'<tr class="group" data-group="([^"]+)" data-seeds="(\d+)"', html))
    assert groups == {"fast": "3", "slow": "2", "coach": "1"}
    assert "101.7 [" in html  # Fast_DQN final mean (99 + 100 + 106) / 3 with its CI
    assert html.count('<svg class="chart"') == 1
    assert html.count('class="mean"') == 3 and html.count("band band-std") == 3
    assert "agent.learning_rate" in html and "0.0003" in html


def test_report_is_self_contained(synthetic_runs: dict[str, Path]) -> None:
    html = render_report(discover_runs([synthetic_runs["fast"]]))
    assert not re.search(r'(src|href)=["\']?https?:', html)
    assert "<script src" not in html and "@import" not in html


def test_compare_command_writes_the_file(synthetic_runs: dict[str, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "report.html"
    assert main(["compare", str(synthetic_runs["fast"]), str(synthetic_runs["coach"]),
                 "--group-by", "agent", "--x", "wall_time", "--out", str(out)]) == 0
    assert out.is_file() and "wall-clock time (s)" in out.read_text()
    assert "report:" in capsys.readouterr().out


def test_compare_names_a_missing_directory(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty")]) == 2
    assert "no progress.csv" in capsys.readouterr().err


def test_nice_ticks_cover_the_range() -> None:
    ticks = nice_ticks(3.0, 97.0)
    assert ticks[0] <= 3.0 and ticks[-1] >= 97.0 and ticks == [0, 20, 40, 60, 80, 100]


def test_layout_has_every_chart_group_and_band() -> None:
    layout = rl_layout()
    assert len(layout) == 6
    tags = layout_tags(layout)
    for value, lower, upper in BAND_TAGS.values():
        assert {value, lower, upper} <= set(tags)
    for pattern in tags:
        re.compile(pattern)
    assert any(re.match(t, "loss/policy") for t in tags)
    assert not any(re.match(t, "loss/total") for t in layout["3 losses"]["loss per head"][1])
    assert any(re.match(t, "workers/3/env_steps_per_s") for t in tags)
    assert any(re.match(t, "distributed/policy_lag") for t in tags)
