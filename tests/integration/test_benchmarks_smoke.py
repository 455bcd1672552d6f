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
