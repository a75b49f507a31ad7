"""Per role (DOMAIN §11), through the real server with a real session: the pages each opens, the units it is
offered, what it sees of units outside its scope (aggregates and stand-ins, never names), its downloads and
exports, and the comparators (city-wide aggregates whatever the scope)."""

from __future__ import annotations

import json

import dash
import pytest

from dashboard.app import create_app
from dashboard.core.settings import Settings
from dashboard.core.state import ViewState
from queries.access import scope_for
from queries.home import home_cards
from queries.kpi.builder import NotApplicable, Request, build_plan
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import make_filters
from queries.kpi.registry import REGISTRY
from queries.selection import View
from tests.support import logged_in
from tests.support.forgery import forbidden_patterns, foreign_units, readable_text
from tests.support.roles import ROLE_PASSWORD, ROLE_USERS, add_role_users


@pytest.fixture(scope="module")
def app(s_warehouse, _app_database):
    add_role_users(_app_database, s_warehouse)
    return create_app(Settings(database_url=s_warehouse))


def client_of(app, role):
    return logged_in(app.server.test_client(), ROLE_USERS[role][0], ROLE_PASSWORD)


def _spec(component, prop: str) -> str:
    """An output as Dash names it in a request: a pattern id with its wildcard, keys sorted, no spaces."""
    if isinstance(component, dict):
        pattern = {k: (["MATCH"] if k == "panel" else v) for k, v in sorted(component.items())}
        return json.dumps(pattern, separators=(",", ":")) + f".{prop}"
    return f"{component}.{prop}"


def _changed(component, prop: str) -> str:
    """The input that changed, as Dash names it: a concrete id (JSON, keys sorted) and its property."""
    if isinstance(component, dict):
        return json.dumps(dict(sorted(component.items())), separators=(",", ":")) + f".{prop}"
    return f"{component}.{prop}"


def call(client, outputs: list[tuple], inputs: list[tuple], state: list[tuple] = ()):
    """One callback request as the browser sends it: (id, property) outputs, (id, property, value) inputs."""
    outs = [{"id": i, "property": p} for i, p in outputs]
    specs = [_spec(i, p) for i, p in outputs]
    body = {
        "output": f"..{'...'.join(specs)}.." if len(outputs) > 1 else specs[0],
        "outputs": outs if len(outputs) > 1 else outs[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        # the first input is the one that changed (what ctx.triggered_id reports to the callback)
        "changedPropIds": [_changed(*inputs[0][:2])] if inputs else [],
    }
    return client.post("/_dash-update-component", json=body)


def panel(client, key: str, search: str = ""):
    return call(
        client,
        [({"type": "panel-body", "panel": key}, "children")],
        [({"type": "panel-trigger", "panel": key}, "data", 1)],
        [("_pages_location", "search", search)],
    )


def frame(client, search: str = "", pathname: str = "/"):
    answer = call(
        client,
        [
            ("navbar", "children"),
            ("data-as-of", "children"),
            ("lang-switch", "children"),
            ("lang-switch", "href"),
            ("viewer", "children"),
            ("logout", "children"),
        ],
        [("_pages_location", "search", search), ("_pages_location", "pathname", pathname)],
    )
    assert answer.status_code == 200
    return readable_text(answer.get_data())


def options(client, search: str = ""):
    answer = call(
        client,
        [
            ("breadcrumb", "items"),
            ("filter-district", "options"),
            ("filter-consortium", "options"),
            ("filter-institution", "options"),
            ("filter-team", "options"),
        ],
        [("_pages_location", "search", search)],
        [("_pages_location", "pathname", "/")],
    )
    assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
    return json.loads(answer.get_data())["response"]


def leaks(s_warehouse, role, text: str) -> list[str]:
    _name, kind, code = ROLE_USERS[role]
    catalog = get_catalog(s_warehouse)
    scope = scope_for(s_warehouse, role, kind, code)
    return forbidden_patterns(catalog, scope).found(text)


PAGES_OPEN = {
    "admin": {"/", "/drg", "/districts", "/audit", "/data-quality"},
    "city": {"/", "/drg", "/districts", "/data-quality"},
    "district": {"/", "/drg", "/districts"},
    "consortium": {"/", "/drg", "/chronic", "/report"},
    "insurance": {"/drg", "/settlement", "/report"},
    "hospital": {"/drg", "/report"},
}
PAGES_SHUT = {
    "admin": set(),
    "city": {"/audit"},
    "district": {"/audit", "/data-quality"},
    "consortium": {"/districts", "/audit", "/data-quality"},
    "insurance": {"/", "/chronic", "/districts", "/audit"},
    "hospital": {"/", "/chronic", "/visits", "/districts", "/audit"},
}
PANEL_OF_PAGE = {
    "/": None,
    "/drg": "drg-cards",
    "/chronic": "chronic-cascade",
    "/districts": "districts-league",
    "/report": None,
    "/data-quality": "quality-summary",
    "/settlement": "settlement-cards",
    "/visits": "visits-by_level",
    "/audit": None,
}


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_each_role_opens_its_pages_and_no_other(app, role):
    client = client_of(app, role)
    navigation = frame(client)
    names = {p["path"]: p["name"] for p in dash.page_registry.values()}
    for path in PAGES_OPEN[role]:
        assert f'"children": "{names[path]}"' in navigation, path
        key = PANEL_OF_PAGE[path]
        if key:
            assert panel(client, key).status_code == 200, path
    for path in PAGES_SHUT[role]:
        assert f'"children": "{names[path]}"' not in navigation, path
        key = PANEL_OF_PAGE[path]
        if key:
            refused = panel(client, key)
            assert refused.status_code == 403, path
            assert "not open" in refused.get_data(as_text=True)
    audit_table = call(
        client,
        [("audit-table", "children")],
        [
            ("audit-since", "value", None),
            ("audit-user", "value", None),
            ("audit-kind", "value", ""),
            ("_pages_location", "search", ""),
        ],
    )
    assert audit_table.status_code == (200 if role == "admin" else 403)


@pytest.mark.parametrize("role", ["district", "consortium", "hospital"])
def test_a_scoped_role_is_offered_only_its_units_and_starts_at_its_own(app, s_warehouse, role):
    client = client_of(app, role)
    _name, kind, code = ROLE_USERS[role]
    catalog = get_catalog(s_warehouse)
    answer = options(client)
    offered = {o["value"] for o in answer["filter-institution"]["options"]}
    parents = catalog.parents["institution"]
    expected = {
        "district": {i for i, p in parents.items() if p[0] == code},
        "consortium": {i for i, p in parents.items() if p[1] == code},
        "hospital": {code},
    }[role]
    assert offered == expected
    crumbs = answer["breadcrumb"]["items"]
    assert crumbs[0]["label"] == catalog.name(kind, code)  # the path starts at the viewer's own unit
    # another unit's code in the URL: dropped, and the view stays at the viewer's own unit
    foreign = foreign_units(catalog, scope_for(s_warehouse, role, kind, code))["institution"][0]
    again = options(client, f"?institution={foreign}")
    assert again == answer
    assert leaks(s_warehouse, role, frame(client, f"?institution={foreign}")) == []


def test_referrals_to_units_outside_the_scope_are_one_aggregate(app, s_warehouse):
    client = client_of(app, "consortium")
    answer = panel(client, "referrals-institutions")
    text = readable_text(answer.get_data())
    assert "其他机构" in text
    assert leaks(s_warehouse, "consortium", text) == []
    download = call(
        client,
        [({"type": "panel-file", "panel": "referrals-institutions"}, "data")],
        [
            ({"type": "panel-csv", "panel": "referrals-institutions"}, "n_clicks", 1),
            ({"type": "panel-xlsx", "panel": "referrals-institutions"}, "n_clicks", None),
        ],
        [("_pages_location", "search", "")],
    )
    body = readable_text(download.get_data())
    assert "其他机构" in body and leaks(s_warehouse, "consortium", body) == []
    # the city sees every receiving institution by name
    city = readable_text(panel(client_of(app, "city"), "referrals-institutions").get_data())
    assert "其他机构" not in city


def test_a_hospital_sees_its_peers_anonymised_in_the_report_and_its_exports(app, s_warehouse, monkeypatch):
    client = client_of(app, "hospital")
    slides = call(client, [("report-slides", "children")], [("_pages_location", "search", "")])
    text = readable_text(slides.get_data())
    catalog = get_catalog(s_warehouse)
    assert catalog.name("institution", "I010") in text
    assert "同级医院A" in text
    assert leaks(s_warehouse, "hospital", text) == []
    for button in ("report-pdf", "report-xlsx"):
        exported = call(
            client,
            [("report-download", "data")],
            [
                ("report-pdf", "n_clicks", 1 if button == "report-pdf" else None),
                ("report-xlsx", "n_clicks", 1 if button == "report-xlsx" else None),
            ],
            [("_pages_location", "search", "")],
        )
        body = readable_text(exported.get_data())
        assert leaks(s_warehouse, "hospital", body) == [], button
    hospitals = call(client, [("report-hospital", "options")], [("_pages_location", "search", "")])
    assert [
        o["value"] for o in json.loads(hospitals.get_data())["response"]["report-hospital"]["options"]
    ] == ["I010"]
    # the deployment may name the peers
    monkeypatch.setenv("DASHBOARD_PEERS_NAMED", "1")
    named = readable_text(
        call(client, [("report-slides", "children")], [("_pages_location", "search", "")]).get_data()
    )
    assert (
        "同级医院A" not in named and catalog.name("institution", "I012") in named
    )  # a peer of its level and type


def test_the_insurance_bureau_sees_every_hospital_and_no_doctor(app, s_warehouse):
    client = client_of(app, "insurance")
    hospitals = call(client, [("report-hospital", "options")], [("_pages_location", "search", "")])
    offered = json.loads(hospitals.get_data())["response"]["report-hospital"]["options"]
    assert len(offered) == 13  # every tertiary and secondary hospital of the demo city
    doctor = sorted(get_catalog(s_warehouse).names["doctor"])[0]
    assert leaks(s_warehouse, "insurance", frame(client, f"?doctor={doctor}", "/drg")) == []
    scope = scope_for(s_warehouse, "insurance", None, None)
    filters = make_filters(*_period(s_warehouse))
    with pytest.raises(NotApplicable):
        build_plan(REGISTRY["visit_count"], Request("visit_count", filters, ("doctor",), None, scope))


def _period(s_warehouse):
    catalog = get_catalog(s_warehouse)
    return catalog.period_end.replace(month=1, day=1), catalog.period_end


def test_comparators_are_the_whole_city_whatever_the_scope(s_warehouse):
    """A consortium director's 全市 benchmark is the city's value, not their consortium's again."""
    city = home_cards(View(s_warehouse, ViewState()))
    scope = scope_for(s_warehouse, "consortium", "consortium", "C04")
    mine = home_cards(View(s_warehouse, ViewState(consortium="C04"), scope))
    city_values = {c["kpi"]: c.get("value") for c in city.meta["cards"]}
    benchmarks = {c["kpi"]: c.get("benchmark") for c in mine.meta["cards"]}
    compared = [k for k in benchmarks if benchmarks[k] is not None and city_values.get(k) is not None]
    assert compared
    for kpi in compared:
        assert benchmarks[kpi] == pytest.approx(city_values[kpi]), kpi
    own = {c["kpi"]: c.get("value") for c in mine.meta["cards"]}
    assert any(own[k] != pytest.approx(benchmarks[k]) for k in compared)


def test_a_role_without_its_scope_sees_nothing(s_warehouse):
    assert scope_for(s_warehouse, "consortium", None, None).institutions == ("~none",)
    assert scope_for(s_warehouse, "hospital", "district", "990122").institutions == ("~none",)


def test_a_district_official_sees_the_other_districts_only_as_league_aggregates(app, s_warehouse):
    client = client_of(app, "district")
    league = readable_text(panel(client, "districts-league").get_data())
    catalog = get_catalog(s_warehouse)
    assert all(name in league for name in catalog.names["district"].values())  # every district, by name
    assert leaks(s_warehouse, "district", league) == []  # and no unit of another district
    # a district of its own in the URL: its consortia; another district's: the city's league again
    own = readable_text(panel(client, "districts-league", "?district=990122&kpi=htn_control_rate").get_data())
    assert catalog.name("consortium", "C04") in own and leaks(s_warehouse, "district", own) == []
    assert readable_text(panel(client, "districts-league", "?district=990102").get_data()) == league
    # elsewhere its views start at its own district
    crumbs = options(client)["breadcrumb"]["items"]
    assert crumbs[0]["label"] == catalog.name("district", "990122")
