"""Every benchmark script runs end to end in --quick mode and writes its results (no timings)."""

from __future__ import annotations

import csv
import importlib
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import BENCHMARKS
from tests import background

ROOT = Path(__file__).resolve().parents[2]


def _benchmarks(*args: str, out: Path | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "benchmarks", *args]
    if out is not None:
        command += ["--out", str(out)]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


# scaling starts Ray three times and trains IMPALA and A2C on workers: 97 s on two busy cores
QUICK_TIMEOUT = {"scaling": 600}


def test_list_names_every_benchmark_and_marks_the_pending_ones() -> None:
    done = _benchmarks("list")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    for name, module_name in BENCHMARKS.items():
        pending = getattr(importlib.import_module(module_name), "PENDING", "")
        assert lines[name].endswith(f"[pending: {pending}]" if pending else "[ready]")


QUICK_TEST = "test_benchmark_runs_quick_and_writes_markdown_csv_and_plot"
# each quick run is a subprocess whose outcome the test reads: they run beside the suite
# (tests/background.py), 157 s of a 2,343 s run of it (2026-12-02)
for _name in BENCHMARKS:
    background.job(f"quick[{_name}]", f"{QUICK_TEST}[{_name}]", [
        sys.executable, "-m", "benchmarks", "run", _name, "--quick", "--seeds", "1",
        "--repeats", "1", "--out", str(background.out_dir(f"quick[{_name}]"))],
        timeout=QUICK_TIMEOUT.get(_name, 120))


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=[pytest.mark.ray, pytest.mark.slow]) if name == "scaling" else name
    for name in BENCHMARKS])
def test_benchmark_runs_quick_and_writes_markdown_csv_and_plot(name: str) -> None:
    done = background.outcome(f"quick[{name}]")
    out = background.out_dir(f"quick[{name}]")
    assert done.returncode == 0, done.stdout + done.stderr
    if getattr(importlib.import_module(BENCHMARKS[name]), "PENDING", ""):
        assert f"{name}: pending" in done.stdout
        assert not list(out.iterdir())
        return
    for suffix in (".csv", ".md", ".png"):
        assert (out / f"{name}{suffix}").stat().st_size > 0
    assert "coachrl" in (out / f"{name}.md").read_text()


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


def test_sac_return_verdict_is_non_inferiority_within_half_sb3s_sd() -> None:
    from benchmarks.sac_pendulum import final_return_verdict

    sb3 = [-110.0, -130.0, -120.0, -125.0, -115.0, -128.0]  # seed-to-seed sd 7.7: margin 3.9
    # a lower median but a paired difference of about 1 on every seed: met
    close = [-111.0, -129.0, -121.0, -126.0, -114.0, -130.0]
    assert final_return_verdict(_sac_report(close, sb3)).verdict == "met"
    # worse by 5 on every seed: inside one sd (the rule before 2026-11-30) but not inside half
    worse = [value - 5.0 for value in sb3]
    verdict = final_return_verdict(_sac_report(worse, sb3))
    assert verdict.verdict == "missed"
    assert "median -5.0" in verdict.measured and "margin 3.9" in verdict.measured
    assert "needs two" in final_return_verdict(_sac_report(close[:1], sb3[:1])).measured


def test_results_carry_their_commit_and_a_mixed_table_says_so(tmp_path: Path) -> None:
    first = _benchmarks("run", "ppo_cartpole", "--quick", "--seeds", "1", out=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    rows = (tmp_path / "ppo_cartpole.csv").read_text().splitlines()
    assert rows[0].endswith(",commit,date")
    commit = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert all(f",{commit}" in row for row in rows[1:])
    assert "Measured in one run" in (tmp_path / "ppo_cartpole.md").read_text()
    # a row from another run: the table must not claim one run any more
    with open(tmp_path / "ppo_cartpole.csv", "a") as handle:
        handle.write(
            rows[1].replace(",0,", ",1,").split(f",{commit}")[0] + ",0123abc,2026-01-01 00:00\n"
        )
    more = _benchmarks("run", "ppo_cartpole", "--quick", "--seeds", "2", "--keep", out=tmp_path)
    assert more.returncode == 0, more.stdout + more.stderr
    summary = (tmp_path / "ppo_cartpole.md").read_text()
    assert "**Mixed runs**" in summary and "0123abc" in summary
    assert "Measured in one run" not in summary


def test_jobs_splits_the_seeds_over_processes_and_merges_them(tmp_path: Path) -> None:
    done = _benchmarks(
        "run", "ppo_cartpole", "--quick", "--seeds", "2", "--jobs", "2", out=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seeds = {
        line.split(",")[4] for line in (tmp_path / "ppo_cartpole.csv").read_text().splitlines()[1:]
    }
    assert seeds == {"0", "1"}
    assert "--jobs 2" in (tmp_path / "ppo_cartpole.md").read_text()


def test_readme_results_table_is_the_one_the_rules_compute() -> None:
    done = _benchmarks("table", "--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_table_check_fails_when_a_verdict_is_reworded(tmp_path: Path) -> None:
    from benchmarks.table import BEGIN, END, README, table, update_readme

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\n{table()}\n{END}\nmore\n")
    assert update_readme(check=True, readme=readme) == 0
    text = readme.read_text()
    assert "| missed |" in text or "| met |" in text
    reworded = text.replace("| missed |", "| equal at the paired median |", 1).replace(
        "| met |", "| roughly met |", 1
    )
    readme.write_text(reworded)
    assert update_readme(check=True, readme=readme) == 1
    assert README.is_file()


def test_the_rollout_benchmark_times_finish_rollout_as_sb3_times_its_gae(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """coachrl's timed collection includes the work SB3's collect_rollouts does at its end:
    behaviour values and log-probs, the last values and GAE (finish_rollout), once a rollout."""
    from benchmarks import rollout
    from coachrl.agent import PolicyOptimizationAgent

    calls: list[int] = []
    finish = PolicyOptimizationAgent.finish_rollout

    def counted(self: PolicyOptimizationAgent) -> None:
        calls.append(self.buffer.step)
        finish(self)

    monkeypatch.setattr(PolicyOptimizationAgent, "finish_rollout", counted)
    rollout.coachrl_rate(8, 4 * rollout.HORIZON_STEPS, 0, "numpy")
    assert len(calls) >= 3  # one per 256-step rollout (a rollout holds ~248 real steps)


def test_a_stopped_jobs_run_keeps_its_finished_seeds_and_goes_on(tmp_path: Path) -> None:
    """A --jobs process rewrites its shard's CSV after every seed; run again, it keeps them,
    and the merged report names both runs ("Mixed runs") instead of claiming one."""
    shard = tmp_path / ".shards" / "dqn_cartpole" / "0-of-2"
    first = _benchmarks("run", "dqn_cartpole", "--quick", "--seeds", "4", "--shard", "0/2",
                        "--stamp", "abc1234@2026-11-30 09:00", out=shard)
    assert first.returncode == 0, first.stderr
    merged = _benchmarks("run", "dqn_cartpole", "--quick", "--seeds", "4", "--jobs", "2",
                         out=tmp_path)
    assert merged.returncode == 0, merged.stderr
    with open(tmp_path / "dqn_cartpole.csv", newline="") as handle:
        stamps = {(int(row["repeat"]), row["commit"]) for row in csv.DictReader(handle)}
    assert {seed for seed, commit in stamps if commit == "abc1234"} == {0, 2}  # kept
    assert {seed for seed, commit in stamps if commit != "abc1234"} == {1, 3}  # run now
    assert "Mixed runs" in (tmp_path / "dqn_cartpole.md").read_text()
    assert not (tmp_path / ".shards" / "dqn_cartpole").exists()


@pytest.mark.ray
@pytest.mark.slow
def test_one_case_rerun_keeps_the_other_cases_samples_as_measured(tmp_path: Path) -> None:
    """``--case``: only that case is measured; the other cases' samples stay as they were, with
    their own commit and date, and each table row names the run that measured its case."""
    from benchmarks.output import read_csv
    from benchmarks.table import table

    measured = ROOT / "benchmarks" / "results" / "scaling.csv"
    (tmp_path / "scaling.csv").write_text(measured.read_text())
    kept = [s for s in read_csv(measured) if s.case != "latency-learning"]
    done = _benchmarks("run", "scaling", "--quick", "--repeats", "1", "--case",
                       "latency-learning", out=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    samples = read_csv(tmp_path / "scaling.csv")
    assert [s for s in samples if s.case != "latency-learning"] == kept
    assert {s.library for s in samples if s.case == "latency-learning"} == {
        "IMPALA, 2 workers (async)", "A2C, 2 workers (sync)"}
    rows = {line.split(" | ")[1]: line for line in table(tmp_path).splitlines()
            if line.startswith("| 7 |")}
    old = {s.commit for s in kept}
    assert all(commit in rows["scaling, cartpole: env steps/s (coachrl, 1 worker / coachrl, "
                              "0 workers)"] for commit in old)
    assert "mixed" not in rows["scaling, cartpole: env steps/s (coachrl, 1 worker / coachrl, "
                               "0 workers)"]


def test_a_case_the_benchmark_lacks_is_an_error_naming_its_cases() -> None:
    done = _benchmarks("run", "scaling", "--case", "latency-learnin")
    assert done.returncode != 0
    assert "latency-learning" in done.stderr and "halfcheetah" in done.stderr
    done = _benchmarks("run", "replay", "--case", "x")
    assert done.returncode != 0 and "no named cases" in done.stderr


def test_atari_pipeline_memory_rule_counts_the_python_objects_too() -> None:
    """The 1M-transition rule judges the arrays and the frame store's Python objects together:
    arrays alone under 7.5e9 bytes do not pass when the objects take the total over it."""
    from benchmarks import atari_pipeline as pipeline
    from benchmarks.common import Report

    def verdict(arrays: float, total: float) -> tuple[str, str]:
        report = Report("atari")
        report.add(pipeline.MEMORY, pipeline.REPLAY, pipeline.ARRAYS, arrays, 0)
        report.add(pipeline.MEMORY, pipeline.REPLAY, pipeline.TOTAL, total, 0)
        pipeline.summarise(report)
        (rule,) = report.verdicts
        return rule.verdict, rule.measured

    assert verdict(7_300.0, 7_450.0) == (
        "met", "7,450,000,000 bytes (7,450 per transition, of which arrays 7,300): 7.45 GB")
    assert verdict(7_300.0, 7_600.0)[0] == "missed"


def test_python_bytes_counts_each_stored_frames_digest_once() -> None:
    from benchmarks.atari_pipeline import python_bytes
    from coachrl.memories.frames import FrameStore

    store = FrameStore((2, 2), np.uint8)
    empty = python_bytes(store)
    store.intern(np.arange(12, dtype=np.uint8).reshape(3, 2, 2))
    one = python_bytes(store)
    store.intern(np.arange(12, dtype=np.uint8).reshape(3, 2, 2))  # the same frames again
    assert python_bytes(store) == one > empty
    digest = next(iter(store.slot_of))
    assert one - empty >= 3 * sys.getsizeof(digest)  # every frame's 16-byte digest object


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_atari_ray_budget_is_whole_rounds(workers: int) -> None:
    """A cell's budget ends after ROUNDS whole rounds: the single process counts every step of
    its rollouts; workers count only real steps, so their budget sits half a round early."""
    from benchmarks import atari_ray

    settings = dict(item.split("=") for item in atari_ray.overrides(workers, False, 0))
    steps = int(settings["schedule.improve_steps"])
    per_round = max(workers, 1) * int(settings["env.n_envs"]) * int(
        settings["agent.algorithm.rollout_length"])
    assert math.ceil(steps / per_round) == atari_ray.ROUNDS
    if workers:  # up to half a round of steps may be uncounted resets
        assert math.ceil((steps + per_round // 2 - 1) / per_round) == atari_ray.ROUNDS
