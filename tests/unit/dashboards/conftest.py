"""The synthetic runs fixture of the dashboards tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_runs import make_synthetic_runs


@pytest.fixture
def synthetic_runs(tmp_path: Path) -> dict[str, Path]:
    """Group directories: fast (3 seeds), slow (2 seeds), coach (one Coach CSV, no config)."""
    return make_synthetic_runs(tmp_path)
