"""run.numpy_threads caps numpy's BLAS pool in a run's processes (benchmarks/README.md, row 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coachrl.errors import ConfigError
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset

POOLS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PROBE = """
import json
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.build import make_backends
from coachrl.runtime.threads import numpy_threads
own = numpy_threads()
seen = []
for value in (1, 0, 1):
    make_backends(apply_overrides(load_preset("CartPole_DQN"), [f"run.numpy_threads={value}"]))
    seen.append(numpy_threads())
print(json.dumps({"own": own, "seen": seen}))
"""


def test_a_run_caps_numpy_blas_threads_and_zero_gives_numpys_own_pool_back() -> None:
    """In a fresh process with no thread count in its environment (numpy's OpenBLAS starts a
    thread per core), making a run's backends with numpy_threads=1 leaves one BLAS thread, 0
    gives the pool numpy started with back, and 1 caps it again."""
    env = {name: value for name, value in os.environ.items() if name not in POOLS}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if (os.cpu_count() or 1) > 1:  # OpenBLAS's default: a thread per core, so the cap shows
        assert found["own"] > 1, found
    assert found["seen"] == [1, found["own"], 1], found


def test_a_negative_thread_count_is_a_config_error_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="numpy_threads"):
        apply_overrides(load_preset("CartPole_DQN"), ["run.numpy_threads=-1"])
