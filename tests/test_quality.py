"""The codebase stays ruff- and mypy-clean: these run the same checks a reviewer would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGES = sorted(
    str(p.relative_to(ROOT)) for p in ROOT.glob("plugins/*/srs_*") if (p / "__init__.py").exists()
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "srs", "api", "plugins", "tests", "bench", "fuzz", "tools")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run("mypy", "srs", "api", *PLUGIN_PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr
