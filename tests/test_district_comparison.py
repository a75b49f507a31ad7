"""District comparison on the hand-made warehouse of tests/district_warehouse.py (answers worked there)."""

from __future__ import annotations

import pytest
from dash import no_update

from dashboard.cache import standalone_cache
from dashboard.state import parse_query
from queries.catalog import get_catalog
from queries.district_comparison import funnel_view, league
from tests.district_warehouse import CITY_PER_100, build_district_warehouse


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def districts(tmp_path_factory):
    return build_district_warehouse(tmp_path_factory.mktemp("districts") / "d.duckdb")


def _verdicts(url: str, query: str) -> dict[str, tuple[float, str]]:
    frame = league(url, parse_query("?period=all&kpi=hospitalization_rate" + query)[0]).frame
    return {r.district_code: (r.value, r.outcome) for r in frame.itertuples()}


def test_crude_rates_and_verdicts_against_the_city(districts):
    verdicts = _verdicts(districts, "")
    assert verdicts["DA"] == (pytest.approx(1800 / 22000 * 100), "better")
    assert verdicts["DB"] == (pytest.approx(2800 / 22000 * 100), "worse")  # built to be worse
    assert verdicts["DC"] == (pytest.approx(15.0), "similar")  # extreme, but 6 admissions: a wide interval
    assert verdicts["DD"] == (pytest.approx(40.0), "worse")  # old people


def test_standardisation_changes_the_verdict_of_the_old_district(districts):
    verdicts = _verdicts(districts, "&adjust=standardised")
    assert verdicts["DD"] == (pytest.approx(CITY_PER_100), "similar")  # O/E = 800 / 800
    assert verdicts["DB"][1] == "worse" and verdicts["DA"][1] == "better"  # real differences stay
    assert verdicts["DC"][1] == "similar"


def test_peer_groups_as_comparator(districts):
    frame = league(districts, parse_query("?period=all&compare=peer")[0]).frame.set_index("district_code")
    urban = (1800 + 2800) / 44000 * 100
    rural = (6 + 800) / 2040 * 100
    assert frame.loc["DA", "comparator"] == pytest.approx(urban) and frame.loc[
        "DD", "comparator"
    ] == pytest.approx(rural)
    assert frame.loc["DD", "outcome"] == "similar"  # 40.0 against rural peers at 39.5: no real difference
    assert frame.loc["DB", "outcome"] == "worse"


def test_standardised_funnel_is_o_over_e_around_one(districts):
    data = funnel_view(districts, parse_query("?period=all&adjust=standardised")[0])
    frame = data.frame.set_index("district_code")
    assert data.meta["benchmark"] == 1.0
    assert frame.loc["DD", "value"] == pytest.approx(1.0) and frame.loc["DD", "denominator"] == pytest.approx(
        800
    )
    assert bool(frame.loc["DB", "outside_99.8"]) and not bool(frame.loc["DD", "outside_99.8"])


# --- the page, on the S demo warehouse ---------------------------------------------------------------------

from callbacks import districts as page  # noqa: E402
from callbacks.panels import PANELS, clicked, render  # noqa: E402
from tests.test_care_pages import CONSORTIUM, ERROR_TEXTS, _cli, _graphs  # noqa: E402
from tests.test_home_callbacks import _texts  # noqa: E402


@pytest.mark.parametrize("key", sorted(page.SPECS))
@pytest.mark.parametrize(
    "query", ["", "?adjust=standardised&compare=peer&kpi=htn_control_rate", "?district=990122", CONSORTIUM]
)
def test_every_panel_draws_or_says_why(s_warehouse, key, query):
    PANELS.update(page.SPECS)
    content = render(key, query, s_warehouse)
    text = _texts(content)
    assert not any(e in text for e in ERROR_TEXTS), text
    if key == "districts-map" and "district=" in query:
        assert "panel-message" in str(content)  # the map shows districts: the city's view
    elif "district=" in query and key != "districts-tartan":
        # the default KPI is residence-based: below a district it says so instead of a wrong number
        assert "residence-based" in text
    else:
        assert _graphs(content), (key, query, text)


def test_league_equals_the_command_line_and_ranks_by_polarity(s_warehouse):
    PANELS.update(page.SPECS)
    data = page.SPECS["districts-league"].data(s_warehouse, parse_query("?kpi=htn_control_rate")[0])
    cli = _cli(s_warehouse, "htn_control_rate", "--by", "district")
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
    PANELS.update(page.SPECS)
    figure = _graphs(render("districts-map", "?compare=peer", s_warehouse))[0].figure
    assert figure.data[0].type == "choropleth" and len(figure.data[0].locations) == len(features)


def test_every_chart_saves_as_an_image_named_after_its_panel(s_warehouse):
    PANELS.update(page.SPECS)
    for key in (
        "districts-league",
        "districts-funnel",
        "districts-tartan",
        "districts-map",
        "districts-trends",
    ):
        graph = _graphs(render(key, "", s_warehouse))[0]
        assert graph.config["toImageButtonOptions"] == {"format": "png", "filename": key, "scale": 2}
        assert "toImage" not in graph.config.get("modeBarButtonsToRemove", [])
