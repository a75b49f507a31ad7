"""One cache-key recipe for every cache: a KPI result and a whole page panel are both missed when the
question, the viewer's scope, the data version, the query code, the policy file or a reference file the view
reads (the district GeoJSON) changes, and hit when nothing did."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from dashboard.core.cache import standalone_cache
from dashboard.core.db import dispose_engines
from dashboard.core.paths import REFERENCE_DIR
from dashboard.core.policy import DEFAULT_POLICY_FILE
from dashboard.core.state import parse_query
from dashboard.load.swap import new_duckdb_file
from queries import districts, execution, sums
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.filters import EVERYTHING, Scope
from queries.panels import PanelData, panel
from queries.selection import View, filters_for
from tests.support.district_warehouse import build_district_warehouse


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    """The hand-made district warehouse, its own policy file, and a fresh in-process cache."""
    policy = tmp_path / "policy.toml"
    shutil.copy(DEFAULT_POLICY_FILE, policy)
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(policy))
    monkeypatch.delenv("DASHBOARD_DISTRICT_GEOJSON", raising=False)
    standalone_cache(None)
    url = build_district_warehouse(tmp_path / "w.duckdb")
    return url, policy, tmp_path


@pytest.fixture
def fetches(monkeypatch):
    """Every KPI result that is really computed from the warehouse (disclosure control reads more sums
    beside it, each under its own key of the same recipe)."""
    calls = []
    original = execution.finish

    def counted(kpi, frame, request, *args):
        calls.append(request)
        return original(kpi, frame, request, *args)

    monkeypatch.setattr(execution, "finish", counted)
    return calls


class Computes:
    """A panel computation that counts how often it really runs."""

    def __init__(self):
        self.runs = 0

    def __call__(self) -> PanelData:
        self.runs += 1
        return PanelData()


def _values(url: str, scope: Scope = EVERYTHING, to_month: str = "2025-12") -> None:
    filters = filters_for(url, from_month="2025-01", to_month=to_month)
    kpi_values(url, Request("hospitalization_rate", filters, ("district",), None, scope))


def test_an_unchanged_question_is_answered_from_the_cache(warehouse, fetches):
    url, _policy, _tmp = warehouse
    compute = Computes()
    view = View(url, parse_query("?district=DA")[0])
    for _ in range(2):
        _values(url)
        panel("test.panel", view, compute)
    assert (len(fetches), compute.runs) == (1, 1)


def test_another_question_misses(warehouse, fetches):
    url, _policy, _tmp = warehouse
    compute = Computes()
    _values(url)
    panel("test.panel", View(url, parse_query("")[0]), compute)
    _values(url, to_month="2025-06")
    panel("test.panel", View(url, parse_query("?start=2025-01&end=2025-06")[0]), compute)
    assert (len(fetches), compute.runs) == (2, 2)


def test_another_viewers_scope_misses(warehouse, fetches):
    url, _policy, _tmp = warehouse
    compute = Computes()
    state = parse_query("")[0]
    _values(url)
    panel("test.panel", View(url, state), compute)
    mine = Scope.of(districts=["DA"])
    _values(url, scope=mine)
    panel("test.panel", View(url, state, mine), compute)
    assert (len(fetches), compute.runs) == (2, 2)


def test_a_new_data_version_misses(warehouse, fetches):
    url, _policy, tmp = warehouse
    compute = Computes()
    view = View(url, parse_query("")[0])
    _values(url)
    panel("test.panel", view, compute)
    dispose_engines()  # a load runs in another process; this one must not hold the file open meanwhile
    with new_duckdb_file(tmp / "w.duckdb") as scratch:  # the same rows loaded again, swapped in as loads are
        build_district_warehouse(scratch)
    _values(url)
    panel("test.panel", view, compute)
    assert (len(fetches), compute.runs) == (2, 2)


def test_new_query_code_misses(warehouse, fetches, monkeypatch):
    url, _policy, _tmp = warehouse
    compute = Computes()
    view = View(url, parse_query("")[0])
    _values(url)
    panel("test.panel", view, compute)
    monkeypatch.setattr(sums, "CODE_FINGERPRINT", "another-release")
    _values(url)
    panel("test.panel", view, compute)
    assert (len(fetches), compute.runs) == (2, 2)


def test_a_changed_policy_file_misses(warehouse, fetches):
    url, policy, _tmp = warehouse
    compute = Computes()
    view = View(url, parse_query("")[0])
    _values(url)
    panel("test.panel", view, compute)
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("k_high = 2.0", "k_high = 2.5"), encoding="utf-8"
    )
    _values(url)
    panel("test.panel", view, compute)
    assert (len(fetches), compute.runs) == (2, 2)


def _geojson(path, name: str) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"district_code": code, "label": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]],
            },
        }
        for i, code in enumerate(("DA", "DB", "DC", "DD"))
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def test_a_changed_reference_file_misses(warehouse, monkeypatch):
    """The district map reads the user's GeoJSON: a new file is a new map, not yesterday's cached one."""
    url, _policy, tmp = warehouse
    geojson = tmp / "districts.geojson"
    _geojson(geojson, "first")
    monkeypatch.setenv("DASHBOARD_DISTRICT_GEOJSON", str(geojson))
    view = View(url, parse_query("")[0])
    first = districts.district_map(view).meta["geojson"]
    assert districts.district_map(view).meta["geojson"] == first  # unchanged: the same entry
    _geojson(geojson, "second")
    second = districts.district_map(view).meta["geojson"]
    assert {f["properties"]["label"] for f in first["features"]} == {"first"}
    assert {f["properties"]["label"] for f in second["features"]} == {"second"}


def test_the_recipe_names_every_part():
    """Each part of the recipe, changed alone, gives another key (the caches above all use this function)."""
    from queries.kpi.catalog import Catalog

    catalog = Catalog("v1", "duckdb", None, None, frozenset(), frozenset(), {}, {}, {}, {})
    base = dict(kind="panel:x", question="?period=all", scope=Scope(), catalog=catalog)
    keys = {
        sums.cache_key(**base),
        sums.cache_key(**{**base, "question": "?period=last_year"}),
        sums.cache_key(**{**base, "scope": Scope.of(districts=["DA"])}),
        sums.cache_key(**{**base, "catalog": replace(catalog, data_version="v2")}),
        sums.cache_key(**base, code="another-release"),
        sums.cache_key(**base, files=[DEFAULT_POLICY_FILE]),
    }
    assert len(keys) == 6


def test_replaced_reference_data_is_new_code(tmp_path, monkeypatch):
    """Prevalence and catalogues are read when the process starts and hashed with the code: a deployment that
    replaces data/reference/chronic_prevalence.csv gets new keys (and, after its restart, new numbers)."""
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    monkeypatch.setattr(sums, "REFERENCE_DIR", reference)
    before = sums._code_fingerprint()
    assert sums._code_fingerprint() == before
    prevalence = reference / "chronic_prevalence.csv"
    prevalence.write_text(prevalence.read_text(encoding="utf-8").replace("0.", "0.0", 1), encoding="utf-8")
    assert sums._code_fingerprint() != before
