"""数据质量 through its queries and callbacks, on the S demo whose last month of visits was reloaded with
faults: the missing institution is red, the one at 30% of its usual rows is marked low, the one with 3 rows
is withheld (and not marked anomalous), quarantined shares appear where enough rows were quarantined, the
loads and the last load's reasons are listed, a click drills to an institution's months; nothing that
leaves the server gives back a withheld count."""

from __future__ import annotations

import base64
import io
import math

import pandas as pd
import pytest

from callbacks import quality as page
from callbacks.panels import clicked, download
from dashboard.core.cache import standalone_cache
from dashboard.ui.figures.quality import quality_grid
from queries import quality as q
from tests.support import texts, view

LAST = "?period=last_12_months"


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def _cell(frame, code: str, month):
    return frame[(frame["institution_id"] == code) & (frame["month"] == month)].iloc[0]


def test_the_grid_marks_each_fault(quality_warehouse):
    url, roles = quality_warehouse
    data = q.grid(view(url, LAST))
    frame, last = data.frame, data.meta["months"][-1]
    assert _cell(frame, roles["missing"], last)["status"] == "missing"
    assert _cell(frame, roles["low"], last)["status"] == "anomaly_low"
    withheld = _cell(frame, roles["withheld"], last)
    assert withheld["status"] == "withheld" and math.isnan(withheld["count"])
    assert _cell(frame, roles["quarantined"], last)["status"] in ("ok", "withheld")  # withheld: a complement
    # every other month of these institutions is as the demo made it
    earlier = frame[(frame["month"] < last) & frame["institution_id"].isin(roles.values())]
    assert set(earlier["status"]) <= {
        "ok",
        "anomaly_low",
        "anomaly_high",
        "withheld",
    }  # withheld: complements
    assert (earlier["status"] != "missing").all()
    # what leaves the server holds no raw row count or history median
    assert not {"rows", "median", "expected"} & set(frame.columns)


def test_quarantined_shares_appear_only_for_enough_rows(quality_warehouse):
    url, roles = quality_warehouse
    data = q.grid(view(url, LAST))
    frame, last = data.frame, data.meta["months"][-1]
    six = _cell(frame, roles["quarantined"], last)
    if six["status"] == "withheld":
        assert math.isnan(six["quarantined_share"])
    else:
        assert six["quarantined_share"] == pytest.approx(6 / (six["count"] + 6))
        assert six["main_reason"] == "bad_code:visit_type"
    # a share would give a withheld count back: none is shown
    assert frame.loc[frame["status"] == "withheld", "quarantined_share"].isna().all()
    assert math.isnan(_cell(frame, roles["few_bad"], last)["quarantined_share"])  # 2 rows: "a few"
    assert _cell(frame, roles["quarantined"], data.meta["months"][0])["quarantined_share"] == 0


def test_loads_and_the_last_report(quality_warehouse):
    url, _roles = quality_warehouse
    loads = q.loads(view(url, LAST)).frame
    assert list(loads["mode"]) == ["months", "demo"]
    assert loads["rows_quarantined"].iloc[0] == 8
    reasons = q.reasons(view(url, LAST)).frame
    row = reasons[(reasons["kind"] == "reason")].iloc[0]
    assert (row["item"], row["rows"]) == ("bad_code:visit_type", 8)
    value = reasons[reasons["kind"] == "unknown_values"].iloc[0]
    assert value["item"] == "visit_type = walk_in"
    # the demo's own load is chosen by a link: it quarantined nothing
    demo = loads["load_id"].iloc[1]
    assert q.reasons(view(url, LAST + f"&load={demo}")).frame.empty


def test_a_click_drills_into_an_institution_and_its_months(quality_warehouse):
    url, roles = quality_warehouse
    grid = q.grid(view(url, LAST))
    figure = quality_grid(grid.frame, grid.meta, "zh")
    code = roles["low"]
    row = [c[0][1] for c in figure.data[0].customdata].index(code)
    point = {"points": [{"customdata": figure.data[0].customdata[row][-1]}]}
    query = clicked(point, LAST, url)
    assert f"institution={code}" in query
    months = q.institution_summary(view(url, query)).frame
    assert list(months["status"])[-1] == "anomaly_low" and len(months) == 12
    table = texts(
        page.SPECS["quality-summary"].draw(q.institution_summary(view(url, query)), view(url, query).state)
    )
    assert "明显偏低" in table


def test_the_summary_counts_months(quality_warehouse):
    url, roles = quality_warehouse
    summary = q.institution_summary(view(url, LAST)).frame.set_index("institution_id")
    assert summary.loc[roles["missing"], "expected"] == 12
    assert summary.loc[roles["missing"], "reported"] == 11
    assert summary.loc[roles["missing"], "completeness"] == pytest.approx(11 / 12)
    assert summary.loc[roles["low"], "anomalies"] >= 1


def test_every_source_table_and_a_forged_one(quality_warehouse):
    url, _roles = quality_warehouse
    for table in ("inpatient", "referrals", "followups"):
        data = q.grid(view(url, LAST + f"&table={table}"))
        assert data.message is None and not data.frame.empty, table
        assert data.meta["source"] == table
    forged = q.grid(view(url, LAST + "&table=fact_visit;drop"))
    assert forged.meta["source"] == "visits"  # an unknown value is dropped by the URL parser
    assert page.table_to_url("inpatient", LAST) == LAST + "&table=inpatient"


def test_downloads_never_hold_a_withheld_count(quality_warehouse):
    url, roles = quality_warehouse
    sent = download(page.SPECS, {"panel": "quality-grid", "type": "panel-csv"}, LAST, url)
    body = base64.b64decode(sent["content"]).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(body), dtype={"institution_id": str})
    last = frame["month"].max()
    cell = frame[(frame["institution_id"] == roles["withheld"]) & (frame["month"] == last)].iloc[0]
    assert pd.isna(cell["count"]) and cell["status"] == "已隐藏（小数）"
    shown = frame[(frame["institution_id"] == roles["low"]) & (frame["month"] == last)].iloc[0]
    assert shown["count"] > 0


def test_a_warehouse_built_before_the_load_log(s_warehouse, tmp_path):
    import shutil

    import duckdb

    from dashboard.core.db import duckdb_path, parse_database_url

    path = tmp_path / "old.duckdb"
    shutil.copyfile(duckdb_path(parse_database_url(s_warehouse)), path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE load_log")
    con.execute("DROP TABLE load_coverage")
    con.close()
    url = f"duckdb:///{path}"
    grid = q.grid(view(url, LAST))
    assert grid.message is None and set(grid.frame["status"]) <= {
        "ok",
        "withheld",
        "anomaly_low",
        "anomaly_high",
    }
    assert grid.frame["quarantined_share"].isna().all()
    assert q.loads(view(url, LAST)).frame.empty
    assert q.reasons(view(url, LAST)).frame.empty
