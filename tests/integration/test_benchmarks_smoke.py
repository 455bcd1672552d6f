"""Every benchmark script runs end to end in --quick mode and writes its results (no timings)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]


def _benchmarks(*args: str, out: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "benchmarks", *args]
    if out is not None:
        command += ["--out", str(out)]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_list_names_every_benchmark_and_marks_the_pending_ones() -> None:
    done = _benchmarks("list")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    for name, module_name in BENCHMARKS.items():
        pending = getattr(importlib.import_module(module_name), "PENDING", "")
        assert lines[name].endswith(f"[pending: {pending}]" if pending else "[ready]")


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_benchmark_runs_quick_and_writes_markdown_csv_and_plot(name: str, tmp_path: Path) -> None:
    done = _benchmarks("run", name, "--quick", "--seeds", "1", "--repeats", "1", out=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    if getattr(importlib.import_module(BENCHMARKS[name]), "PENDING", ""):
        assert f"{name}: pending" in done.stdout
        assert not list(tmp_path.iterdir())
        return
    for suffix in (".csv", ".md", ".png"):
        assert (tmp_path / f"{name}{suffix}").stat().st_size > 0
    assert "coachrl" in (tmp_path / f"{name}.md").read_text()


def test_unknown_benchmark_is_an_error_naming_the_valid_ones() -> None:
    done = _benchmarks("run", "ppo_cartpol")
    assert done.returncode != 0
    assert "ppo_cartpole" in done.stderr


def test_keep_reruns_only_the_missing_seeds(tmp_path: Path) -> None:
    first = _benchmarks("run", "ppo_cartpole", "--quick", "--seeds", "1", out=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    csv_path = tmp_path / "ppo_cartpole.csv"
    seed_0 = [line for line in csv_path.read_text().splitlines() if line.endswith(",0")]
    more = _benchmarks("run", "ppo_cartpole", "--quick", "--seeds", "2", "--keep", out=tmp_path)
    assert more.returncode == 0, more.stdout + more.stderr
    assert "keeping seeds [0]" in more.stdout
    lines = csv_path.read_text().splitlines()
    assert [line for line in lines if line.endswith(",0")] == seed_0  # kept, not rerun
    assert sum(line.endswith(",1") for line in lines) == len(seed_0)  # seed 1 measured now


def test_keep_refuses_the_timing_benchmarks() -> None:
    done = _benchmarks("run", "rollout", "--keep")
    assert done.returncode != 0
    assert "--keep applies to the learning benchmarks" in done.stderr


def _sac_report(coachrl: list[float], sb3: list[float]):
    from benchmarks.common import COACHRL, SB3, Report

    report = Report("sac")
    for seed, (ours, theirs) in enumerate(zip(coachrl, sb3, strict=True)):
        report.add("Pendulum-v1", COACHRL, "final return", ours, seed)
        report.add("Pendulum-v1", SB3, "final return", theirs, seed)
    return report


def test_sac_return_verdict_is_a_non_inferiority_test() -> None:
    from benchmarks.sac_pendulum import _return_note

    sb3 = [-110.0, -130.0, -120.0, -125.0, -115.0, -128.0]  # seed-to-seed sd 7.6
    # a lower median but a paired difference well inside SB3's own spread: met
    close = [-111.0, -129.0, -121.0, -126.0, -114.0, -130.0]
    assert _return_note(_sac_report(close, sb3)).endswith(": met.")
    # worse by about two of SB3's standard deviations on every seed: missed
    worse = [value - 15.0 for value in sb3]
    assert _return_note(_sac_report(worse, sb3)).endswith(": missed.")
    assert "needs two seeds" in _return_note(_sac_report(close[:1], sb3[:1]))
