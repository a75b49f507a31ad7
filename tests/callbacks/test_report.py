"""The hospital report through its callbacks: peers of the same level and type (同级同类), ranks and values
equal to the command line's, the surplus ranked per case, the PDF and Excel exports opened and read back
(presentation mode: tests/browser/test_report.py)."""

from __future__ import annotations

import base64
import io

import openpyxl
import pytest
from dash import no_update
from pypdf import PdfReader

from callbacks.report import export, pick, render_slides
from dashboard.core.cache import standalone_cache
from dashboard.core.errors import UserFacingError
from dashboard.ui import ids
from dashboard.ui.formatting import format_kpi
from dashboard.ui.report_files import report_pdf
from queries.kpi.catalog import get_catalog
from queries.report import REPORT_KPIS, peer_group, report
from tests.support import cli_json, raises_saying, texts, view


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def test_slides_rank_the_hospital_among_its_peers(s_warehouse, hospital):
    code, name, query = hospital
    content = render_slides(query, s_warehouse)
    assert len(content) == 1 + len(REPORT_KPIS)
    text = texts(content[0])
    assert name in text and "同级同类：三级医院·综合（2家）" in text
    # 同级同类: the demo's general tertiary hospitals (the TCM and the cancer hospital are of other types)
    same = "institution=" + ",".join(peer_group(get_catalog(s_warehouse), code)[0])
    assert same == "institution=I001,I002"
    peers = cli_json(s_warehouse, "cmi", "--by", "institution", "--where", same).dropna(subset=["value"])
    mine = float(peers.loc[peers["institution_id"] == code, "value"].iloc[0])
    pooled = cli_json(s_warehouse, "cmi", "--where", same)["value"][0]
    rank = int((peers["value"] > mine).sum()) + 1  # higher CMI ranks first
    row = texts(next(r for r in content[0].children[2].children[1].children if r.id == "report-row-cmi"))
    assert format_kpi("index", mine) in row and format_kpi("index", pooled) in row
    assert f"{rank}/{len(peers)}" in row


def test_a_non_hospital_gets_a_request_to_choose_one(s_warehouse):
    catalog = get_catalog(s_warehouse)
    chc = next(c for c, p in catalog.parents["institution"].items() if p[2] == "chc")
    assert "请选择一家医院" in texts(render_slides(f"?institution={chc}", s_warehouse))
    assert "请选择一家医院" in texts(render_slides("", s_warehouse))


def test_picking_a_hospital_sets_its_whole_path(s_warehouse, hospital):
    code, _name, query = hospital
    assert pick(code, "?period=last_quarter", s_warehouse) == "?period=last_quarter&" + query.lstrip("?")
    assert pick("NOPE", "", s_warehouse) is no_update  # not an institution: the URL stays
    assert pick(None, "", s_warehouse) is no_update  # nothing picked
    assert pick(code, query, s_warehouse) is no_update  # already the chosen hospital


def test_pdf_export_reads_back_with_chinese_text(s_warehouse, hospital):
    code, name, query = hospital
    sent = export(query, s_warehouse, ids.REPORT_PDF)
    reader = PdfReader(io.BytesIO(base64.b64decode(sent["content"])))
    assert sent["filename"] == f"report_{code}.pdf" and len(reader.pages) >= 1
    # pypdf reads this font's two-byte codes with a NUL before each character (poppler's pdftotext does not)
    text = "".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    data = report(view(s_warehouse, query))
    cmi = data.frame.set_index("kpi").loc["cmi"]
    assert name in text and "费用消耗指数" in text and "低风险组死亡率" in text
    assert format_kpi("index", cmi["value"]) in text
    assert "入组病例权重之和" in text  # the definitions are there too


def test_excel_export_holds_every_row_with_its_definition(s_warehouse, hospital):
    code, _name, query = hospital
    sent = export(query, s_warehouse, ids.REPORT_XLSX)
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert book.sheetnames == ["指标", "同级对比"]
    sheet = book["指标"]
    header = [c.value for c in sheet[1]]
    assert {"numerator", "denominator", "ci_low", "ci_high", "definition", "rank", "peer_value"} <= set(
        header
    )
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [r["kpi_id"] for r in rows] == list(REPORT_KPIS)
    cli = cli_json(s_warehouse, "cmi", "--where", f"institution={code}")
    cmi = next(r for r in rows if r["kpi_id"] == "cmi")
    assert cmi["value"] == pytest.approx(cli["value"][0]) and cmi["numerator"] == pytest.approx(
        cli["numerator"][0]
    )
    assert all(r["definition"] for r in rows)
    assert book["同级对比"].max_row > len(REPORT_KPIS)  # every peer hospital for every indicator


def test_pdf_without_a_cjk_font_is_a_clear_error(s_warehouse, hospital, monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_CJK_FONT", str(tmp_path / "none.ttc"))
    data = report(view(s_warehouse, hospital[2]))
    with raises_saying(UserFacingError, "fonts-noto-cjk"):
        report_pdf(data.frame, data.meta, "zh")


def test_hospitals_are_ranked_by_surplus_per_case_not_the_total(s_warehouse, hospital):
    code, _name, query = hospital
    assert "drg_surplus_per_case" in REPORT_KPIS and "drg_surplus" not in REPORT_KPIS
    row = report(view(s_warehouse, query)).frame.set_index("kpi").loc["drg_surplus_per_case"]
    cli = cli_json(s_warehouse, "drg_surplus_per_case", "--where", f"institution={code}")
    assert row["value"] == pytest.approx(cli["value"][0])
    total = cli_json(s_warehouse, "drg_surplus", "--where", f"institution={code}")["value"][0]
    assert row["value"] == pytest.approx(total / cli["denominator"][0])


def test_a_hospital_alone_of_its_type_is_compared_with_its_level_and_says_so(s_warehouse):
    catalog = get_catalog(s_warehouse)
    tcm = next(
        c
        for c, p in catalog.parents["institution"].items()
        if p[2] == "tertiary" and catalog.institution_types[c] == "tcm"
    )
    data = report(view(s_warehouse, f"?institution={tcm}"))
    assert data.meta["peer_group"] == "level_alone" and data.meta["peer_count"] == 4
    assert "同级中没有其他中医机构" in texts(render_slides(f"?institution={tcm}", s_warehouse)[0])


@pytest.fixture(scope="module")
def s_without_types(s_warehouse, tmp_path_factory):
    """The demo warehouse as an extract that does not record institution types."""
    import shutil

    import duckdb

    source = s_warehouse.removeprefix("duckdb:///")
    path = tmp_path_factory.mktemp("notypes") / "s.duckdb"
    shutil.copy(source, path)
    with duckdb.connect(str(path)) as conn:
        conn.execute("ALTER TABLE dim_institution DROP COLUMN institution_type")
    return f"duckdb:///{path}"


def test_without_institution_types_the_peers_are_the_same_level(s_without_types, hospital):
    code, _name, query = hospital
    catalog = get_catalog(s_without_types)
    assert not catalog.has("dim_institution", "institution_type")
    assert peer_group(catalog, code) == (("I001", "I002", "I003", "I004"), "level")
    data = report(view(s_without_types, query))
    assert data.meta["peer_group"] == "level" and len(data.frame) == len(REPORT_KPIS)
    assert "数据未记录机构类别" in texts(render_slides(query, s_without_types)[0])


def test_a_hospital_without_low_risk_deaths_is_never_worse_than_its_peers(s_warehouse):
    # Issue 12, item 2: 0 deaths against peers at 0.0% was "差于" (an interval bound of 1.7e-18) on the page
    # and in the PDF handed to the hospital.
    catalog = get_catalog(s_warehouse)
    seen = 0
    for code, (district, consortium, level) in sorted(catalog.parents["institution"].items()):
        if level not in ("tertiary", "secondary"):
            continue
        query = f"?district={district}" + (f"&consortium={consortium}" if consortium else "")
        row = report(view(s_warehouse, f"{query}&institution={code}")).frame.set_index("kpi")
        row = row.loc["low_risk_mortality"]
        if row["value"] == 0:
            seen += 1
            assert row["ci_low"] == 0 and row["outcome"] != "worse", code
    assert seen >= 2  # the demo city has several such hospitals
