"""Dict observations end to end: CartPole served as a Dict (positions and velocities under two
keys) is learnt by the Clipped PPO preset to its threshold within its budget, acting through
the numpy backend's Dict embedders; and what Dict observations cannot do yet is a clear error."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from coachrl.cli import main
from coachrl.registry import load_preset

DICT_CARTPOLE = "env.env_id=coachrl.environments.toy:DictCartPole"


@pytest.mark.slow
def test_clipped_ppo_learns_cartpole_served_as_a_dict(tmp_path: Path) -> None:
    validation = load_preset("CartPole_ClippedPPO").validation
    assert main(["train", "CartPole_ClippedPPO", "--quiet", "--experiment-dir", str(tmp_path),
                 "--set", DICT_CARTPOLE, "--stop-at-threshold"]) == 0
    (run_dir,) = tmp_path.glob("CartPole_ClippedPPO/*")
    with open(run_dir / "progress.csv", newline="") as handle:
        evaluations = [row for row in csv.DictReader(handle) if row["Evaluation Reward"]]
    reached = [int(row["Total steps"]) for row in evaluations
               if float(row["Evaluation Reward"]) >= validation.min_reward]
    assert reached, f"best evaluation {max(float(r['Evaluation Reward']) for r in evaluations)}"
    assert reached[0] <= int(validation.max_env_steps)


@pytest.mark.parametrize(("extra", "message"), [
    ("env.filters.normalize_observations=true", "not supported for Dict observations"),
])
def test_what_dict_observations_cannot_do_is_a_one_line_error(
        extra: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "CartPole_ClippedPPO", "--quiet", "--experiment-dir", str(tmp_path),
                 "--set", DICT_CARTPOLE, "--set", extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err

