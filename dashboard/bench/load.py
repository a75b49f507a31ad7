"""Benchmark of ``python -m dashboard load``: a demo city written out as a region's extract (one CSV per
table, the contract's layout) and loaded back, in a fresh process, at each scale.

Run ``python -m dashboard bench-load [--scales M L]``. For each scale: a replace load of the whole extract
(36 months) and a months-mode load of its last month onto that warehouse. Reported: wall time, rows per
second, and peak memory (the child's maximum resident set size from ``wait4``, DuckDB's buffers included).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from dashboard.bench.process import run_measured
from dashboard.core.schema import CONTRACT_TABLES
from dashboard.load.demo.build import SCALES, parse_scale
from queries.intake import MONTH_COLUMNS, export_statement

TARGETS = {"S": (60.0, 4096.0), "M": (180.0, 4096.0), "L": (900.0, 4096.0)}  # seconds, MiB (replace load)
KEY = b"benchmark-pseudonym-key-not-for-use"


def _run(command: list[str]) -> tuple[float, float]:
    return run_measured(command, " ".join(command[2:4]))


def _export(warehouse: Path, folder: Path, last_month_only: bool = False) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = 0
    try:
        last = con.execute("SELECT date_trunc('month', max(visit_date))::DATE FROM fact_visit").fetchone()[0]
        for table in CONTRACT_TABLES:
            if last_month_only and table.name not in MONTH_COLUMNS:
                continue
            path = folder / f"{table.name}.csv"
            con.execute(export_statement(table.name, str(path)))
            if not last_month_only:
                rows += con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
                continue
            # the last month's rows only: the exported file filtered on its own text
            kept = duckdb.sql(
                f"SELECT * FROM read_csv('{path}', all_varchar = true) "
                f"WHERE CAST({MONTH_COLUMNS[table.name]} AS DATE) >= DATE '{last}'"
            )
            rows += kept.aggregate("count(*)").fetchall()[0][0]
            kept.write_csv(str(path.with_suffix(".tmp")), header=True)
            path.with_suffix(".tmp").replace(path)
    finally:
        con.close()
    return rows


def run_load_benchmark(scales: list[str], work_dir: str | None = None) -> int:
    scales = [parse_scale(s) for s in scales]
    print(
        f"load benchmark · {os.cpu_count()} cores · python {sys.version.split()[0]} · duckdb {duckdb.__version__}"
    )
    print(f"{'scale':<6}{'load':<8}{'rows':>13}{'seconds':>9}{'rows/s':>11}{'peak MiB':>10}  target")
    ok = []
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-load-", dir=work_dir) as tmp:
        key = Path(tmp) / "key"
        key.write_bytes(KEY)
        for scale in scales:
            demo = Path(tmp) / f"demo-{scale}.duckdb"
            python = [sys.executable, "-m", "dashboard"]
            _run([*python, "demo", "--scale", scale, "--database-url", f"duckdb:///{demo}"])
            extract, month = Path(tmp) / f"extract-{scale}", Path(tmp) / f"month-{scale}"
            rows = _export(demo, extract)
            month_rows = _export(demo, month, last_month_only=True)
            demo.unlink()
            target = f"duckdb:///{Path(tmp) / f'loaded-{scale}.duckdb'}"
            common = ["--database-url", target, "--pseudonym-key-file", str(key)]
            seconds, peak = _run(
                [*python, "load", str(extract), *common, "--report-dir", str(Path(tmp) / "r1")]
            )
            limit_s, limit_mem = TARGETS[scale]
            met = seconds < limit_s and peak < limit_mem
            ok.append(met)
            print(
                f"{scale:<6}{'replace':<8}{rows:>13,}{seconds:>9.1f}{rows / seconds:>11,.0f}{peak:>10.0f}  "
                f"< {limit_s:.0f} s, < {limit_mem:.0f} MiB: {'met' if met else 'MISSED'}"
            )
            seconds, peak = _run(
                [
                    *python,
                    "load",
                    str(month),
                    *common,
                    "--mode",
                    "months",
                    "--report-dir",
                    str(Path(tmp) / "r2"),
                ]
            )
            print(
                f"{scale:<6}{'months':<8}{month_rows:>13,}{seconds:>9.1f}{month_rows / seconds:>11,.0f}{peak:>10.0f}"
            )
            shutil.rmtree(extract)
            shutil.rmtree(month)
            Path(tmp, f"loaded-{scale}.duckdb").unlink(missing_ok=True)
            print(
                f"  ({SCALES[scale]:,} residents; the months load adds the last month to the 36-month warehouse)"
            )
    print(f"bench-load: {sum(ok)} of {len(ok)} scales within target")
    return 0 if all(ok) else 1
