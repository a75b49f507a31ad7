"""Benchmark of the demo build: wall time and peak memory per scale, each build in a fresh process.

Run ``python -m dashboard bench-build [--scales S M L] [--repeat N]``. Peak memory is the child process's
maximum resident set size as the kernel reports it (``wait4``), so it includes DuckDB's own buffers.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from dashboard.bench.process import run_measured
from dashboard.core.db import dispose_engines
from dashboard.load.demo.build import SCALES, parse_scale
from queries.warehouse import warehouse_summary

TARGETS = {"S": (20.0, 4096.0), "M": (90.0, 4096.0), "L": (600.0, 4096.0)}  # seconds, MiB


def _one_build(scale: str, url: str) -> tuple[float, float]:
    command = [sys.executable, "-m", "dashboard", "demo", "--scale", scale, "--database-url", url]
    return run_measured(command, f"build {scale}")


def run_build_benchmark(scales: list[str], repeat: int = 1, database_url: str | None = None) -> int:
    scales = [parse_scale(s) for s in scales]
    print(f"demo build benchmark · {os.cpu_count()} cores · python {sys.version.split()[0]}")
    print(f"{'scale':<6}{'residents':>11}{'visits':>13}{'median s':>10}{'peak MiB':>10}  target")
    results = []
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as tmp:
        for scale in scales:
            url = database_url or f"duckdb:///{Path(tmp) / f'bench-{scale}.duckdb'}"
            runs = [_one_build(scale, url) for _ in range(repeat)]
            seconds = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            visits = _visit_count(url)
            limit_s, limit_mem = TARGETS[scale]
            ok = seconds < limit_s and peak < limit_mem
            results.append(ok)
            print(
                f"{scale:<6}{SCALES[scale]:>11,}{visits:>13,}{seconds:>10.1f}{peak:>10.0f}  "
                f"< {limit_s:.0f} s, < {limit_mem:.0f} MiB: {'met' if ok else 'MISSED'}"
            )
            if database_url is None:
                Path(tmp, f"bench-{scale}.duckdb").unlink(missing_ok=True)
    print(f"bench-build: {sum(results)} of {len(results)} scales within target")
    return 0 if all(results) else 1


def _visit_count(url: str) -> int:
    try:
        return warehouse_summary(url).row_counts["fact_visit"]
    finally:
        dispose_engines()
