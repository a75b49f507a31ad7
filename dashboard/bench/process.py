"""Running one measured command in a fresh process: wall time and the peak memory the kernel reports."""

from __future__ import annotations

import os
import subprocess
import time


def run_measured(command: list[str], what: str) -> tuple[float, float]:
    """Seconds and peak MiB of ``command`` (its maximum resident set size from ``wait4``, so DuckDB's own
    buffers count). Raises RuntimeError with the end of its stderr when it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed: {proc.stderr.read().decode()[-800:]}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
