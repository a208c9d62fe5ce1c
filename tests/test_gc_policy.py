"""The serving GC policy: start-up heap frozen, young generation collected less often."""

from __future__ import annotations

import gc
import subprocess
import sys


def test_tune_for_serving_freezes_and_raises_gen0() -> None:
    # in a child process: freezing the pytest process's heap would outlive this test
    code = (
        "import gc\n"
        "from srs.gc_policy import SERVING_GEN0_THRESHOLD, tune_for_serving\n"
        "before = gc.get_threshold()\n"
        "assert gc.get_freeze_count() == 0\n"
        "assert tune_for_serving() == before\n"
        "assert gc.get_threshold() == (SERVING_GEN0_THRESHOLD, before[1], before[2])\n"
        "assert gc.get_freeze_count() > 1000, gc.get_freeze_count()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert gc.get_freeze_count() == 0  # this process untouched
