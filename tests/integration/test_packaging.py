"""The three install modes (wheel, ``pip install .``, ``pip install -e .``) in a fresh venv.

Each mode installs coachrl alone (``--no-deps``) into one venv that already holds its
dependencies, then imports the folders mapped into the package (agents/ -> coachrl.agents, ...)
from outside the source tree and runs the ``coachrl`` console script, whose presets, env adapter
and dashboard layout come through entry points. Between modes coachrl is uninstalled and must
then fail to import, so no mode passes on what an earlier one left behind.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
TORCH_PIN = "torch==2.13.0"  # the README's pin: the CPU build (an unpinned torch pulls CUDA)
MODULES = ("coachrl.agents.dqn", "coachrl.agents.clipped_ppo", "coachrl.presets.CartPole_DQN",
           "coachrl.presets.CartPole_ClippedPPO", "coachrl.environments.gym_env",
           "coachrl.dashboards.layout", "coachrl.backend.torch", "coachrl.backend.numpy")
PROBE = (
    "import importlib, json, sys\n"
    "from importlib.resources import files\n"
    f"found = {{m: importlib.import_module(m).__file__ for m in {MODULES!r}}}\n"
    "found['py.typed'] = files('coachrl').joinpath('py.typed').is_file()\n"
    "print(json.dumps(found))\n"
)


def run(command: list[str], *, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def project_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a fresh clone plus local edits hold."""
    done = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                          cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"git ls-files failed in {REPO}: {done.stderr}")
    return [name for name in done.stdout.splitlines() if (REPO / name).is_file()]


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project copied out, so builds leave nothing in the working tree."""
    root = tmp_path_factory.mktemp("source") / "coachrl-src"
    for name in project_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return root


@pytest.fixture(scope="module")
def wheel(source_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), "."],
        cwd=source_copy)
    (built,) = out.glob("coachrl-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A venv without system site packages, holding torch (pinned) and coachrl's dependencies."""
    path = tmp_path_factory.mktemp("venv") / "env"
    venv.create(path, with_pip=True, system_site_packages=False)
    python = path / "bin" / "python"
    # --no-compile: byte-compiling every module of torch and ray on install (most never imported
    # here) took about 70 of 160 s; imports compile what they use
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-compile"]
    run([*install, TORCH_PIN], cwd=path)
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    run([*install, *dependencies], cwd=path)
    yield path


def test_the_wheel_holds_the_mapped_folders_and_no_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("coachrl/agents/dqn.py", "coachrl/presets/CartPole_DQN.py",
                     "coachrl/environments/gym_env.py", "coachrl/dashboards/layout.py",
                     "coachrl/backend/torch/network.py", "coachrl/py.typed"):
        assert expected in names
    assert not any(n.startswith(("tests/", "agents/", "presets/", "benchmarks/")) for n in names)
    # every package of the tree is in the wheel (pyproject.toml lists them one by one)
    mapped = {"coachrl": "coachrl", "agents": "coachrl/agents",
              "environments": "coachrl/environments", "presets": "coachrl/presets",
              "dashboards": "coachrl/dashboards"}
    for folder, installed in mapped.items():
        for init in (REPO / folder).rglob("__init__.py"):
            wanted = f"{installed}/{init.relative_to(REPO / folder).as_posix()}"
            assert wanted in names, f"{wanted} is missing from the wheel: add its package"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "coachrl = coachrl.cli:main" in text and "[coachrl.presets]" in text


@pytest.mark.parametrize("mode", ["wheel", "pip install .", "pip install -e ."])
def test_install_mode_imports_and_runs_from_outside_the_tree(
        mode: str, fresh_venv: Path, wheel: Path, source_copy: Path, tmp_path: Path) -> None:
    python, script = fresh_venv / "bin" / "python", fresh_venv / "bin" / "coachrl"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-deps"]
    target = {"wheel": [str(wheel)], "pip install .": ["."], "pip install -e .": ["-e", "."]}[mode]
    run([*pip, *target], cwd=source_copy)
    try:
        found = json.loads(run([str(python), "-c", PROBE], cwd=tmp_path).stdout)
        assert found.pop("py.typed") is True
        home = source_copy if mode == "pip install -e ." else fresh_venv
        for module, file in found.items():
            assert Path(file).is_relative_to(home), f"{module} imported from {file}"

        listing = run([str(script), "presets"], cwd=tmp_path).stdout
        assert "CartPole_DQN" in listing and "CartPole_ClippedPPO" in listing

        experiments = tmp_path / "experiments"
        run([str(script), "train", "CartPole_DQN", "--quiet", "--experiment-dir", str(experiments),
             "--set", "schedule.improve_steps=1200", "--set", "schedule.evaluation_period=600",
             "--set", "schedule.evaluation_episodes=2"], cwd=tmp_path)
        (run_dir,) = (experiments / "CartPole_DQN").iterdir()
        assert any((run_dir / "checkpoints").glob("ckpt-*/state.json"))
    finally:
        run([str(python), "-m", "pip", "uninstall", "--yes", "--quiet", "coachrl"], cwd=tmp_path)
    gone = subprocess.run([str(python), "-c", "import coachrl"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert gone.returncode != 0, f"coachrl still importable after uninstalling the {mode} install"
