"""The repository passes ruff and mypy with the settings in pyproject.toml (so CI fails on new
lint or type errors)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import background

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # about two minutes of one CPU without a cache: it starts with the session
def test_mypy_finds_no_type_errors() -> None:
    result = background.finished("mypy")  # tests/background.py holds the command
    assert result.returncode == 0, result.stdout + result.stderr
