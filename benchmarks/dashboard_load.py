"""How long the dashboard takes to show a 1M-step run, and how big a compare report is.

Synthesises the event file of a 1M-step run through coachrl's own TensorBoard writer (the same
tags and rates as the training loop) rather than training that long, then times TensorBoard and
headless Chromium on it. Usage: python benchmarks/dashboard_load.py [WORKDIR]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

from coachrl.dashboards.layout import rl_layout
from coachrl.dashboards.report import write_report
from coachrl.dashboards.server import start_tensorboard
from coachrl.logging.progress_csv import ProgressCsv
from coachrl.logging.tensorboard import TensorBoardWriter

STEPS, EPISODE, LOG_PERIOD, EVAL_PERIOD = 1_000_000, 200, 2_000, 10_000


def synthesise_run(run_dir: Path, seed: int = 0) -> None:
    """Events and progress.csv of a 1M-step run: per-episode, per-log and per-evaluation data."""
    rng = np.random.default_rng(seed)
    writer = TensorBoardWriter(run_dir / "tensorboard")
    csv = ProgressCsv(run_dir / "progress.csv")
    writer.custom_layout(rl_layout())
    weights = {f"weights/main/layer{i}.weight": rng.normal(size=(64, 64)) for i in range(6)}
    for step in range(EPISODE, STEPS + 1, EPISODE):
        progress = step / STEPS
        episode_return = 500 * progress + rng.normal(0, 20)
        writer.scalars({"train/episode_return": episode_return,
                        "train/episode_length": EPISODE}, step)
        csv.write({"Total steps": step, "Wall-Clock Time": step / 2000,
                   "Training Reward": episode_return})
        if step % LOG_PERIOD == 0:
            writer.scalars({"perf/env_steps_per_s": 2000.0, "loss/policy": rng.normal(),
                            "loss/value": rng.random(), "loss/total": rng.random(),
                            "policy/entropy": 0.69 * (1 - progress), "optim/lr": 3e-4,
                            "optim/grad_norm": rng.random(), "exploration/epsilon": 0.0,
                            "train/return_mean": 500 * progress, "train/return_lower":
                            500 * progress - 20, "train/return_upper": 500 * progress + 20}, step)
        if step % EVAL_PERIOD == 0:
            mean = 500 * progress + rng.normal(0, 10)
            writer.scalars({"eval/return_mean": mean, "eval/return_std": 15.0,
                            "eval/return_lower": mean - 15, "eval/return_upper": mean + 15,
                            "eval/episode_length": EPISODE}, step)
            writer.histograms({**weights, "eval/actions": rng.integers(0, 2, 2000)}, step)
            csv.write({"Total steps": step, "Wall-Clock Time": step / 2000,
                       "Evaluation Reward": mean, "Evaluation Reward Std": 15.0})
    writer.hparams({"agent.learning_rate": 3e-4, "run.seed": seed},
                   {"final/eval_return": 500.0})
    writer.close()
    csv.close()
    (run_dir / "config.json").write_text(json.dumps({"name": "Synthetic_1M",
                                                     "run": {"seed": seed}}))


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def time_dashboard(root: Path, run: str) -> dict[str, float]:
    """Seconds from TensorBoard's start to its tags, to all eval points, to a rendered page."""
    started = time.perf_counter()
    url = start_tensorboard(root).rstrip("/")
    timings = {"start": time.perf_counter() - started}
    while not any("eval/return_mean" in tags for tags in
                  _get(f"{url}/data/plugin/scalars/tags").values()):  # type: ignore[union-attr]
        time.sleep(0.05)
    timings["tags listed"] = time.perf_counter() - started
    query = urllib.parse.urlencode({"run": run, "tag": "eval/return_mean"})
    while len(_get(f"{url}/data/plugin/scalars/scalars?{query}")) < STEPS // EVAL_PERIOD:  # type: ignore[arg-type]
        time.sleep(0.05)
    timings["all evaluations served"] = time.perf_counter() - started
    profile = tempfile.mkdtemp()
    shot = root / "dashboard-1M.png"
    browser = time.perf_counter()
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic",
                    f"--user-data-dir={profile}", "--window-size=1400,1000",
                    "--virtual-time-budget=30000", f"--screenshot={shot}",
                    f"{url}/#custom_scalars"], capture_output=True, timeout=180, check=True)
    timings["chromium page load + screenshot"] = time.perf_counter() - browser
    shutil.rmtree(profile, ignore_errors=True)
    return timings


def main() -> int:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    started = time.perf_counter()
    for group in ("A", "B"):
        for seed in range(5):
            synthesise_run(work / f"group{group}" / f"seed{seed}", seed=seed + 10 * (group == "B"))
    print(f"synthesised 10 runs of 1M steps in {time.perf_counter() - started:.1f} s")
    events = sum(p.stat().st_size for p in (work / "groupA" / "seed0").rglob("events.*"))
    print(f"one run's event files: {events / 2**20:.1f} MiB")
    for stage, seconds in time_dashboard(work / "groupA" / "seed0", "tensorboard").items():
        print(f"dashboard, one 1M-step run, {stage}: {seconds:.2f} s")
    started = time.perf_counter()
    out = write_report([work / "groupA", work / "groupB"], out=work / "report.html",
                       group_by="tag")
    print(f"compare of 2 groups x 5 seeds x 1M steps: {out.stat().st_size / 1024:.0f} KiB, "
          f"written in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
