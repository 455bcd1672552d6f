"""`coachrl dashboard` and `coachrl compare` opened in headless Chromium (Debian's package).

Screenshots are kept in tests/artifacts/ (ignored by git). Chromium is installed by .ci/run.
Without /usr/bin/chromium the tests fail under CI=true and skip elsewhere, printing the command
that installs it (the skip guard in tests/conftest.py allows that one skip outside CI only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from coachrl.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--enable-logging=stderr", "--window-size=1400,1000")


def _chromium(tmp_path: Path, url: str, *extra: str, budget_ms: int = 15_000) -> tuple[str, str]:
    """Run headless Chromium once on a fresh profile; (stdout, stderr)."""
    if not CHROMIUM.is_file():
        message = "/usr/bin/chromium is missing: install it with `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (.ci/run does)")
        pytest.skip(message)
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}",
                           f"--virtual-time-budget={budget_ms}", *extra, url],
                          capture_output=True, text=True, timeout=120, check=False)
    return done.stdout, done.stderr


def _screenshot(tmp_path: Path, url: str, name: str, budget_ms: int = 15_000) -> np.ndarray:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    _chromium(tmp_path, url, f"--screenshot={path}", budget_ms=budget_ms)
    assert path.is_file(), f"chromium wrote no screenshot of {url}"
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _pixels_near(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    return int((np.abs(image - np.array(rgb)).sum(-1) < tolerance).sum())


def _get(url: str, data: bytes | None = None) -> object:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An experiments directory holding one short real CartPole PPO run."""
    root = tmp_path_factory.mktemp("experiments")
    assert main(["train", "CartPole_ClippedPPO", "--quiet", "--experiment-dir", str(root),
                 "--set", "schedule.improve_steps=4000", "--set", "schedule.evaluation_period=1000",
                 "--set", "schedule.evaluation_episodes=3", "--set", "run.log_period=500"]) == 0
    return root


@pytest.fixture
def dashboard(short_run: Path) -> Iterator[str]:
    """`coachrl dashboard DIR` in a child process; yields its URL."""
    child = subprocess.Popen([sys.executable, "-m", "coachrl", "dashboard", str(short_run)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = ""
        deadline = time.monotonic() + 60
        while not url and time.monotonic() < deadline:
            line = child.stdout.readline() if child.stdout else ""
            if " at http://" in line:
                url = line.split(" at ", 1)[1].split()[0].rstrip("/")
        assert url.startswith("http://127.0.0.1:"), "the dashboard printed no loopback URL"
        yield url
    finally:
        child.terminate()
        child.wait(timeout=30)


def _wait_for_run(url: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tags = _get(f"{url}/data/plugin/scalars/tags")
        if isinstance(tags, dict) and any("eval/return_mean" in t for t in tags.values()):
            return tags
        time.sleep(0.5)
    raise AssertionError("TensorBoard never listed the run's scalars")


def test_dashboard_shows_the_run_and_the_layout(dashboard: str, tmp_path: Path) -> None:
    started = time.monotonic()
    tags = _wait_for_run(dashboard)
    (run_tags,) = tags.values()
    for tag in ("eval/return_mean", "eval/return_lower", "eval/return_upper",
                "train/return_mean", "train/episode_length", "loss/policy", "loss/value",
                "optim/lr", "optim/grad_norm", "perf/env_steps_per_s", "policy/entropy"):
        assert tag in run_tags
    layout = _get(f"{dashboard}/data/plugin/custom_scalars/layout")
    titles = [category["title"] for category in layout["category"]]
    assert titles[0] == "1 returns" and len(titles) == 6
    margins = [c["margin"]["series"][0] for c in layout["category"][0]["chart"] if "margin" in c]
    assert {"value": "eval/return_mean", "lower": "eval/return_lower",
            "upper": "eval/return_upper"} in margins
    experiment = _get(f"{dashboard}/data/plugin/hparams/experiment",
                      json.dumps({"experimentName": ""}).encode())
    names = {info["name"] for info in experiment["hparamInfos"]}
    assert "agent.learning_rate" in names and "run.seed" in names
    assert {m["name"]["tag"] for m in experiment["metricInfos"]} >= {"final/eval_return"}
    for page, name in (("#scalars", "dashboard-scalars.png"),
                       ("#custom_scalars", "dashboard-custom-scalars.png")):
        image = _screenshot(tmp_path, f"{dashboard}/{page}", name)
        assert _pixels_near(image[:64], (245, 124, 0)) > 10_000  # TensorBoard's orange header
        assert _pixels_near(image[100:], (255, 112, 67), tolerance=90) > 300, (
            f"no chart drawn on {page}; see {ARTIFACTS / name}")
    print(f"dashboard ready and rendered in {time.monotonic() - started:.1f} s")


def test_compare_report_opens_without_errors(short_run: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert main(["compare", str(short_run), "--out", str(report)]) == 0
    dom, log = _chromium(tmp_path, report.as_uri(), "--dump-dom", budget_ms=3000)
    assert 'data-ready="1"' in dom, "the report's script did not run to its end"
    assert "Uncaught" not in log and "SyntaxError" not in log
    assert dom.count('class="mean"') == 1 and 'data-seeds="1"' in dom
    image = _screenshot(tmp_path, report.as_uri(), "compare-report.png", budget_ms=3000)
    assert _pixels_near(image, (0x1F, 0x77, 0xB4)) > 200  # the first group's curve
