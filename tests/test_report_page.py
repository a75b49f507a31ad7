"""The hospital report: peers of the same level, ranks and values equal to the command line's, the PDF and
Excel exports opened and read back, and presentation mode in a real browser."""

from __future__ import annotations

import base64
import io

import openpyxl
import pytest
from pypdf import PdfReader
from selenium.webdriver.common.keys import Keys

from callbacks.report import export, pick, render_slides
from dashboard import ids
from dashboard.cache import standalone_cache
from dashboard.errors import UserFacingError
from dashboard.formatting import format_kpi
from dashboard.report_export import report_pdf
from dashboard.state import parse_query
from queries.catalog import get_catalog
from queries.hospital_report import REPORT_KPIS, report
from tests.test_browser import _settle, _wait_url
from tests.test_care_pages import _cli
from tests.test_home_callbacks import _texts


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def hospital(s_warehouse):
    """A tertiary hospital of the demo city, with the view state that selects it."""
    catalog = get_catalog(s_warehouse)
    code = sorted(c for c, p in catalog.parents["institution"].items() if p[2] == "tertiary")[1]
    district, consortium, _level = catalog.parents["institution"][code]
    query = (
        f"?district={district}" + (f"&consortium={consortium}" if consortium else "") + f"&institution={code}"
    )
    return code, catalog.names["institution"][code], query


def test_slides_rank_the_hospital_among_its_peers(s_warehouse, hospital):
    code, name, query = hospital
    content = render_slides(query, s_warehouse)
    assert len(content) == 1 + len(REPORT_KPIS)
    text = _texts(content[0])
    assert name in text and "三级医院" in text
    peers = _cli(s_warehouse, "cmi", "--by", "institution", "--where", "level=tertiary").dropna(
        subset=["value"]
    )
    mine = float(peers.loc[peers["institution_id"] == code, "value"].iloc[0])
    pooled = _cli(s_warehouse, "cmi", "--where", "level=tertiary")["value"][0]
    rank = int((peers["value"] > mine).sum()) + 1  # higher CMI ranks first
    row = _texts(next(r for r in content[0].children[2].children[1].children if r.id == "report-row-cmi"))
    assert format_kpi("index", mine) in row and format_kpi("index", pooled) in row
    assert f"{rank}/{len(peers)}" in row


def test_a_non_hospital_gets_a_request_to_choose_one(s_warehouse):
    catalog = get_catalog(s_warehouse)
    chc = next(c for c, p in catalog.parents["institution"].items() if p[2] == "chc")
    assert "请选择一家医院" in _texts(render_slides(f"?institution={chc}", s_warehouse))
    assert "请选择一家医院" in _texts(render_slides("", s_warehouse))


def test_picking_a_hospital_sets_its_whole_path(s_warehouse, hospital):
    code, _name, query = hospital
    assert pick(code, "?period=this_year", s_warehouse) == "?period=this_year&" + query.lstrip("?")
    assert pick("NOPE", "", s_warehouse) is not None and pick(None, "", s_warehouse) is not None


def test_pdf_export_reads_back_with_chinese_text(s_warehouse, hospital):
    code, name, query = hospital
    sent = export(1, None, query, s_warehouse, ids.REPORT_PDF)
    reader = PdfReader(io.BytesIO(base64.b64decode(sent["content"])))
    assert sent["filename"] == f"report_{code}.pdf" and len(reader.pages) >= 1
    # pypdf reads this font's two-byte codes with a NUL before each character (poppler's pdftotext does not)
    text = "".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    data = report(s_warehouse, parse_query(query)[0])
    cmi = data.frame.set_index("kpi").loc["cmi"]
    assert name in text and "费用消耗指数" in text and "低风险组死亡率" in text
    assert format_kpi("index", cmi["value"]) in text
    assert "入组病例权重之和" in text  # the definitions are there too


def test_excel_export_holds_every_row_with_its_definition(s_warehouse, hospital):
    code, _name, query = hospital
    sent = export(None, 1, query, s_warehouse, ids.REPORT_XLSX)
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert book.sheetnames == ["指标", "同级对比"]
    sheet = book["指标"]
    header = [c.value for c in sheet[1]]
    assert {"numerator", "denominator", "ci_low", "ci_high", "definition", "rank", "peer_value"} <= set(
        header
    )
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [r["kpi_id"] for r in rows] == list(REPORT_KPIS)
    cli = _cli(s_warehouse, "cmi", "--where", f"institution={code}")
    cmi = next(r for r in rows if r["kpi_id"] == "cmi")
    assert cmi["value"] == pytest.approx(cli["value"][0]) and cmi["numerator"] == pytest.approx(
        cli["numerator"][0]
    )
    assert all(r["definition"] for r in rows)
    assert book["同级对比"].max_row > len(REPORT_KPIS)  # every peer hospital for every indicator


def test_pdf_without_a_cjk_font_is_a_clear_error(s_warehouse, hospital, monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_CJK_FONT", str(tmp_path / "none.ttc"))
    data = report(s_warehouse, parse_query(hospital[2])[0])
    with pytest.raises(UserFacingError, match="fonts-noto-cjk"):
        report_pdf(data.frame, data.meta, "zh")


@pytest.mark.browser
def test_presentation_mode_steps_through_the_slides(dash_duo, s_warehouse, hospital):
    from dashboard.app import create_app
    from dashboard.settings import Settings

    code, name, _query = hospital
    dash_duo.start_server(create_app(Settings(database_url=s_warehouse)))
    dash_duo.driver.set_window_size(1400, 2200)
    dash_duo.driver.get(dash_duo.server_url + "/report")
    dash_duo.wait_for_contains_text("#report-slides", "请选择一家医院", timeout=30)
    dash_duo.select_dcc_dropdown(f"#{ids.REPORT_HOSPITAL}", value=name)
    _wait_url(dash_duo, f"institution={code}")
    dash_duo.wait_for_contains_text("#report-slides", name, timeout=30)
    _settle(dash_duo)
    dash_duo.find_element(f"#{ids.REPORT_PRESENT}").click()
    dash_duo.wait_for_element("#report-slides.presenting .report-slide.active", timeout=10)
    count = len(REPORT_KPIS) + 1
    assert dash_duo.find_element("#report-slides").get_attribute("data-slide") == f"1/{count}"
    visible = [s for s in dash_duo.find_elements(".report-slide") if s.is_displayed()]
    assert len(visible) == 1 and name in visible[0].text
    body = dash_duo.find_element("body")
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_LEFT)
    assert dash_duo.find_element("#report-slides").get_attribute("data-slide") == f"2/{count}"
    assert "CMI" in next(s for s in dash_duo.find_elements(".report-slide") if s.is_displayed()).text
    dash_duo.driver.save_screenshot("/tmp/dashboard-report-present.png")
    body.send_keys(Keys.ESCAPE)
    dash_duo.wait_for_no_elements("#report-slides.presenting", timeout=10)
    assert len([s for s in dash_duo.find_elements(".report-slide") if s.is_displayed()]) == count
    assert dash_duo.get_logs() == []
