"""Months mode: months 1–24 loaded, then 25–36, then 36 again, give the warehouse a one-shot load gives; a
month loaded again replaces that month (fewer rows stay fewer); a refused load changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dashboard.core.db import duckdb_path, parse_database_url
from dashboard.core.months import add_months
from dashboard.core.schema import CONTRACT_TABLES, ROLLUP_TABLES
from dashboard.load.extracts.run import LoadOptions, LoadRefused, load_extracts
from queries.intake import MONTH_COLUMNS
from tests.support import TEST_LAST_MONTH
from tests.support.extracts import export_contract_layout

FIRST = add_months(TEST_LAST_MONTH.replace(day=1), -35)
MONTH_25 = add_months(FIRST, 24)
MONTH_36 = add_months(FIRST, 35)


def _between(start: dt.date, end: dt.date) -> dict[str, str]:
    """Each monthly fact table's rows from month ``start`` up to, not including, ``end``."""
    return {t: f"{c} >= DATE '{start}' AND {c} < DATE '{end}'" for t, c in MONTH_COLUMNS.items()}


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("key") / "k"
    path.write_bytes(b"months-mode-test-key-0123456789")
    return str(path)


def _load(folder: Path, url: str, key: str, mode: str, report: Path) -> None:
    load_extracts(LoadOptions(folder, url, mode=mode, report_dir=report, key_file=key))


def _contents(url: str) -> dict[str, list]:
    con = duckdb.connect(str(duckdb_path(parse_database_url(url))), read_only=True)
    try:
        out = {}
        for table in (*CONTRACT_TABLES, *ROLLUP_TABLES):
            # a sum of squared costs in floating point depends on the order it was added in: compared to
            # 12 significant digits (the other rollup measures are exact decimals)
            names = ", ".join(
                f"CAST({c.name} AS DECIMAL(38, 0)) // 100" if c.name == "total_cost_sq" else c.name
                for c in table.columns
            )
            out[table.name] = con.execute(f"SELECT {names} FROM {table.name} ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def test_months_loaded_in_steps_equal_a_one_shot_load(s_warehouse, tmp_path, key):
    demo = duckdb_path(parse_database_url(s_warehouse))
    everything = tmp_path / "all"
    export_contract_layout(demo, everything)
    first = tmp_path / "first"
    export_contract_layout(demo, first, where=_between(FIRST, MONTH_25))
    second = tmp_path / "second"
    export_contract_layout(
        demo, second, tables=set(MONTH_COLUMNS), where=_between(MONTH_25, add_months(MONTH_36, 1))
    )
    last = tmp_path / "last"
    export_contract_layout(
        demo, last, tables=set(MONTH_COLUMNS), where=_between(MONTH_36, add_months(MONTH_36, 1))
    )
    half = tmp_path / "half"
    half_rows = {
        t: f"{w} AND {k} % 2 = 0"
        for (t, w), k in zip(
            _between(MONTH_36, add_months(MONTH_36, 1)).items(),
            ("visit_id", "case_id", "referral_id", "followup_id"),
            strict=True,
        )
    }
    export_contract_layout(demo, half, tables=set(MONTH_COLUMNS), where=half_rows)

    one_shot = f"duckdb:///{tmp_path / 'one.duckdb'}"
    _load(everything, one_shot, key, "replace", tmp_path / "r0")
    steps = f"duckdb:///{tmp_path / 'steps.duckdb'}"
    _load(first, steps, key, "replace", tmp_path / "r1")
    before = _contents(steps)
    assert before["fact_visit"] and len(before["fact_visit"]) < len(_contents(one_shot)["fact_visit"])
    _load(second, steps, key, "months", tmp_path / "r2")
    _load(last, steps, key, "months", tmp_path / "r3")
    assert _contents(steps) == _contents(one_shot)

    _load(half, steps, key, "months", tmp_path / "r4")
    halved = _contents(steps)
    full = _contents(one_shot)
    assert 0 < len(halved["fact_visit"]) < len(full["fact_visit"])
    assert set(halved["fact_visit"]) < set(full["fact_visit"])
    _load(last, steps, key, "months", tmp_path / "r5")
    assert _contents(steps) == full


def test_a_refused_load_leaves_the_warehouse_untouched(s_warehouse, tmp_path, key):
    demo = duckdb_path(parse_database_url(s_warehouse))
    folder = tmp_path / "extract"
    export_contract_layout(demo, folder)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    _load(folder, url, key, "replace", tmp_path / "r0")
    before = _contents(url)
    stamp = (tmp_path / "w.duckdb").stat().st_mtime_ns
    # a tenth of the follow-ups with an impossible blood pressure: over the 5% a table may lose
    path = folder / "fact_followup.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    sbp = header.index("sbp")
    for i in range(1, len(lines), 10):
        cells = lines[i].split(",")
        cells[sbp] = "999"
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for mode in ("replace", "months"):
        report = tmp_path / f"refused-{mode}"
        with pytest.raises(LoadRefused) as refused:
            _load(folder, url, key, mode, report)
        assert refused.value.key == "load_too_many_rejected"
        assert (report / "report.json").is_file()
        assert (report / "quarantine" / "fact_followup.csv").is_file()  # it shows why
    assert (tmp_path / "w.duckdb").stat().st_mtime_ns == stamp
    assert _contents(url) == before
    assert not list(tmp_path.glob("w.duckdb.building-*"))
