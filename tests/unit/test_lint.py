"""The code stays formatted and lint-clean (ruff, configured in pyproject.toml)."""

import shutil
import subprocess
import sys

import pytest


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(command):
    if (
        shutil.which("ruff") is None
        and subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode != 0
    ):
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run([sys.executable, "-m", "ruff", *command], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
