"""The fuzz target runs clean on its seeds, every prefix and a few seeded mutations."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TARGET = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_rtp.py"


def test_fuzz_target_standalone_smoke() -> None:
    spec = importlib.util.spec_from_file_location("fuzz_rtp", TARGET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seeds = module.SEEDS
    count = module.standalone(iterations=3000, seed=1)
    assert count == 3000 + sum(len(s) + 1 for s in seeds)
