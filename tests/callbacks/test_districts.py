"""The district comparison page through its callbacks, on the S demo warehouse: every panel draws or says
why, the league table equals the command line's, the controls write the URL, a GeoJSON map, image export."""

from __future__ import annotations

import pytest
from dash import no_update

from callbacks import districts as page
from callbacks.panels import clicked
from dashboard.core.cache import standalone_cache
from dashboard.ui.exports import readable
from dashboard.ui.figures.theme import OUTCOME_COLORS
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.catalog import get_catalog
from queries.selection import filters_for
from tests.support import (
    CONSORTIUM,
    CSV_COLUMNS,
    ERROR_TEXTS,
    cli_json,
    draw_panel,
    graphs,
    panel_data,
    texts,
)


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.mark.parametrize("key", sorted(page.SPECS))
@pytest.mark.parametrize(
    "query", ["", "?adjust=standardised&compare=peer&kpi=htn_control_rate", "?district=990122", CONSORTIUM]
)
def test_every_panel_draws_or_says_why(s_warehouse, key, query):
    content = draw_panel(key, query, s_warehouse)
    text = texts(content)
    assert not any(e in text for e in ERROR_TEXTS), text
    if key == "districts-map" and "district=" in query:
        assert "panel-message" in str(content)  # the map shows districts: the city's view
    elif "district=" in query and key != "districts-tartan":
        # the default KPI is residence-based: below a district it says so instead of a wrong number
        assert "按居住地统计" in text
    else:
        assert graphs(content), (key, query, text)


def test_league_equals_the_command_line_and_ranks_by_polarity(s_warehouse):
    data = panel_data("districts-league", "?kpi=htn_control_rate", s_warehouse)
    cli = cli_json(s_warehouse, "htn_control_rate", "--by", "district")
    assert dict(zip(data.frame["district_code"], data.frame["value"], strict=True)) == pytest.approx(
        dict(zip(cli["district_code"], cli["value"], strict=True))
    )
    assert list(data.frame["rank"]) == sorted(data.frame["rank"])  # higher control ranks first
    assert data.frame["value"].is_monotonic_decreasing
    # 青山县 was built as the laggard
    assert data.frame.set_index("district_code").loc["990121", "outcome"] == "worse"


def test_controls_write_the_url(s_warehouse):
    query = page.controls_to_url("htn_control_rate", "peer", "standardised", "overdispersed", "?lang=en")
    # the defaults (the city, crude, the default KPI, limits for overdispersion) leave the URL as it is
    assert (
        page.controls_to_url("hospitalization_rate", "city", "crude", "overdispersed", "?lang=en")
        is no_update
    )
    assert page.controls_to_url(None, "city", "crude", None, "") is no_update
    assert query == "?kpi=htn_control_rate&compare=peer&adjust=standardised&lang=en"
    assert page.controls_to_url(None, "parent", "crude", "plain", "") == "?compare=parent&limits=plain"
    assert clicked({"points": [{"customdata": ["district", "990122"]}]}, query, s_warehouse).startswith(
        "?district=990122&kpi=htn_control_rate"
    )


def test_a_supplied_geojson_is_drawn_as_a_choropleth(s_warehouse, monkeypatch, tmp_path):
    import json

    features = [
        {
            "type": "Feature",
            "properties": {"district_code": code},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]],
            },
        }
        for i, code in enumerate(sorted(get_catalog(s_warehouse).names["district"]))
    ]
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_DISTRICT_GEOJSON", str(path))
    figure = graphs(draw_panel("districts-map", "?compare=peer", s_warehouse))[0].figure
    assert figure.data[0].type == "choropleth" and len(figure.data[0].locations) == len(features)


def test_every_chart_saves_as_an_image_named_after_its_panel(s_warehouse):
    for key in (
        "districts-league",
        "districts-funnel",
        "districts-tartan",
        "districts-map",
        "districts-trends",
    ):
        graph = graphs(draw_panel(key, "", s_warehouse))[0]
        assert graph.config["toImageButtonOptions"] == {"format": "png", "filename": key, "scale": 2}
        assert "toImage" not in graph.config.get("modeBarButtonsToRemove", [])


def _city(url: str, kpi: str, **filters) -> float:
    request = Request(kpi, filters_for(url, **filters))
    return float(kpi_values(url, request)["value"].iloc[0])


def test_funnel_colours_follow_the_polarity_like_the_league_and_the_map(s_warehouse):
    # Issue 12, item 7: for 住院率 (lower is better) the two highest districts were green in the funnel and red
    # in the league table and the map beside it
    query = "?kpi=hospitalization_rate&limits=plain"
    funnel = panel_data("districts-funnel", query, s_warehouse).frame.set_index("district_code")
    league = panel_data("districts-league", query, s_warehouse).frame.set_index("district_code")
    tiles = panel_data("districts-map", query, s_warehouse).frame.set_index("district_code")
    outside = funnel[funnel["outside_99.8"]]
    assert (outside["value"] > outside["comparator"]).any() and len(outside) >= 2
    for code, row in outside.iterrows():
        assert row["outcome"] == ("worse" if row["value"] > row["comparator"] else "better")
        assert row["outcome"] == league.loc[code, "outcome"] == tiles.loc[code, "outcome"]
    figure = graphs(draw_panel("districts-funnel", query, s_warehouse))[0].figure
    points = next(d for d in figure.data if d.mode == "markers")
    colours = {
        code: colour for (_level, code), colour in zip(points.customdata, points.marker.color, strict=True)
    }
    for code, row in outside.iterrows():
        assert colours[code] == OUTCOME_COLORS[row["outcome"]]
    assert "比较对象：全市" in texts(draw_panel("districts-map", query, s_warehouse))  # the tiles say it too


def test_one_comparator_per_view_whatever_the_method_and_named(s_warehouse):
    # Issue 12, item 8: drilled into 青山县, standardised mode compared with the county, crude with the city
    query = "?district=990121&kpi=htn_control_rate"
    city = _city(s_warehouse, "htn_control_rate")
    county = _city(s_warehouse, "htn_control_rate", district="990121")
    for compare, expected, name in (("", city, "全市"), ("&compare=parent", county, "上级单位（青山县）")):
        for adjust in ("", "&adjust=standardised"):
            data = panel_data("districts-league", query + compare + adjust, s_warehouse)
            assert list(data.frame["comparator"]) == pytest.approx([expected] * len(data.frame))
            text = texts(draw_panel("districts-league", query + compare + adjust, s_warehouse))
            assert f"比较对象：{name}" in text
            for key in ("districts-funnel", "districts-tartan"):
                assert f"比较对象：{name}" in texts(draw_panel(key, query + compare + adjust, s_warehouse))
        # the download says what the units were compared with
        frame = readable(data.frame, "zh")
        assert set(frame["comparator_kind"]) == {"全市" if not compare else "上级单位"}
        assert set(frame["comparator_name"].fillna("")) == {"" if not compare else "青山县"}


def test_funnels_offer_limits_for_overdispersion_and_say_which(s_warehouse):
    # Issue 12, item 9: all 8 districts sat outside 99.8% limits for 基层就诊率
    plain = panel_data("districts-funnel", "?kpi=primary_care_visit_share&limits=plain", s_warehouse)
    assert plain.frame["outside_99.8"].sum() == len(plain.frame) == 8
    assert "常规限" in texts(
        draw_panel("districts-funnel", "?kpi=primary_care_visit_share&limits=plain", s_warehouse)
    )
    adjusted = panel_data("districts-funnel", "?kpi=primary_care_visit_share", s_warehouse)  # the default
    assert adjusted.meta["limits"] == "overdispersed" and adjusted.meta["groups"][0]["tau2"] > 0
    assert adjusted.frame["outside_99.8"].sum() < 8
    text = texts(draw_panel("districts-funnel", "?kpi=primary_care_visit_share", s_warehouse))
    assert "按过度离散调整" in text and "τ" in text


def test_institutions_are_compared_within_their_level(s_warehouse):
    # Issue 12, item 9: village clinics and tertiary hospitals never share one funnel unlabelled
    query = "?kpi=avg_outpatient_cost&district=990122&consortium=C04"
    data = panel_data("districts-funnel", query, s_warehouse)
    levels = get_catalog(s_warehouse).parents["institution"]
    assert len(data.meta["groups"]) > 1
    for group in data.meta["groups"]:
        part = data.frame[data.frame["comparator_group"] == group["group"]]
        assert {levels[code][2] for code in part["institution_id"]} == {group["group"]}
        assert group["benchmark"] == pytest.approx(
            _city(s_warehouse, "avg_outpatient_cost", level=group["group"])
        )
    titles = {
        a.text
        for a in graphs(draw_panel("districts-funnel", query, s_warehouse))[0].figure.layout.annotations
    }
    assert {"乡镇卫生院", "二级医院"} <= titles
    league = panel_data("districts-league", query, s_warehouse).frame
    for row in league.itertuples():  # the league compares the same way, and ranks within the level
        assert row.comparator == pytest.approx(
            _city(s_warehouse, "avg_outpatient_cost", level=row.comparator_group)
        )


@pytest.mark.parametrize(
    ("query", "args"),
    [
        (
            "?kpi=hospitalization_rate&adjust=standardised",
            ["hospitalization_rate", "--by", "district", "--adjust", "standardised", "--comparator", "city"],
        ),
        (
            "?kpi=htn_control_rate&adjust=standardised&compare=peer",
            ["htn_control_rate", "--by", "district", "--adjust", "standardised", "--comparator", "peers"],
        ),
        (
            "?kpi=avg_outpatient_cost&district=990122&consortium=C04&compare=parent",
            [
                *("avg_outpatient_cost", "--by", "institution", "--where", "district=990122"),
                *("--where", "consortium=C04", "--comparator", "parent"),
            ],
        ),
    ],
)
def test_the_command_line_prints_what_the_league_shows(s_warehouse, query, args):
    # Issue 12: every number of the district page has a command-line twin (--adjust, --comparator)
    page = panel_data("districts-league", query, s_warehouse).frame
    key = page.columns[0]
    cli = cli_json(s_warehouse, *args).set_index(key)
    assert list(cli.columns[:7]) == CSV_COLUMNS
    tail = ["comparator_kind", "comparator_name", "comparator_group", "comparator"]
    tail += ["comparator_ratio", "outcome"] if "standardised" in args else ["outcome"]
    assert list(cli.columns[-len(tail) :]) == tail  # new columns at the end
    page = page.set_index(key)
    for column in ("value", "ci_low", "ci_high", "numerator", "denominator", "comparator"):
        assert page[column].to_dict() == pytest.approx(cli.loc[page.index, column].to_dict(), nan_ok=True), (
            column
        )
    assert page["outcome"].to_dict() == cli.loc[page.index, "outcome"].to_dict()
    if "standardised" in args:  # the O/E columns at the end
        assert page["ratio"].to_dict() == pytest.approx(cli.loc[page.index, "ratio"].to_dict())


def test_the_command_line_prints_what_the_funnel_shows(s_warehouse):
    for limits in ("overdispersed", "plain"):
        data = panel_data("districts-funnel", f"?kpi=primary_care_visit_share&limits={limits}", s_warehouse)
        cli = cli_json(
            s_warehouse,
            "primary_care_visit_share",
            "--by",
            "district",
            "--comparator",
            "city",
            "--limits",
            limits,
        ).set_index("district_code")
        page = data.frame.set_index("district_code")
        assert page["outcome"].to_dict() == cli.loc[page.index, "funnel_outcome"].to_dict()
        assert page["limit_high_99.8"].to_dict() == pytest.approx(
            cli.loc[page.index, "funnel_high_998"].to_dict()
        )
        assert list(cli["funnel_tau2"]) == pytest.approx([data.meta["groups"][0]["tau2"]] * len(cli))
