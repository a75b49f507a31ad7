"""The district comparison page through its callbacks, on the S demo warehouse: every panel draws or says
why, the league table equals the command line's, the controls write the URL, a GeoJSON map, image export."""

from __future__ import annotations

import pytest
from dash import no_update

from callbacks import districts as page
from callbacks.panels import clicked
from dashboard.core.cache import standalone_cache
from queries.kpi.catalog import get_catalog
from tests.support import CONSORTIUM, ERROR_TEXTS, cli_json, draw_panel, graphs, panel_data, texts


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
    query = page.controls_to_url("htn_control_rate", "peer", "standardised", "?lang=en")
    # the defaults (the city, crude, the default KPI) leave the URL as it is
    assert page.controls_to_url("hospitalization_rate", "city", "crude", "?lang=en") is no_update
    assert page.controls_to_url(None, "city", "crude", "") is no_update
    assert query == "?kpi=htn_control_rate&compare=peer&adjust=standardised&lang=en"
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
