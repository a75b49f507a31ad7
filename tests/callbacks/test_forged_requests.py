"""Forged requests, per role (one scope each): 1,000 or more callback requests across every server callback
the app declares, carrying other units' codes, wrong types, junk and oversized values. No answer names or
codes a unit outside the role's scope, none is a 500, and each one is in the audit trail."""

from __future__ import annotations

import zlib

import pytest
import sqlalchemy as sa

from dashboard.accounts import audit, store
from dashboard.app import create_app
from dashboard.core.settings import Settings
from queries.access import scope_for
from queries.kpi.catalog import get_catalog
from tests.support import logged_in
from tests.support.forgery import Forger, forbidden_patterns, foreign_units, readable_text
from tests.support.roles import ROLE_PASSWORD, ROLE_USERS, add_role_users

REQUESTS_PER_ROLE = 1000


@pytest.fixture(scope="module")
def app(s_warehouse, _app_database):
    add_role_users(_app_database, s_warehouse)
    return create_app(Settings(database_url=s_warehouse))


def _audit_count(app_database: str, username: str) -> int:
    with store.app_engine(app_database).connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(audit.audit_event)
            .where(audit.audit_event.c.username == username)
        ).scalar_one()


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_forged_requests_leak_nothing_fail_nothing_and_are_all_audited(app, s_warehouse, app_users, role):
    username, scope_type, scope_id = ROLE_USERS[role]
    client = logged_in(app.server.test_client(), username, ROLE_PASSWORD)
    catalog = get_catalog(s_warehouse)
    scope = scope_for(s_warehouse, role, scope_type, scope_id)
    forger = Forger(app, client, catalog, foreign_units(catalog, scope), seed=zlib.crc32(role.encode()))
    forbidden = forbidden_patterns(catalog, scope)
    before = _audit_count(app_users, username)
    statuses: dict[int, int] = {}
    leaks = []
    sent = 0
    while sent < REQUESTS_PER_ROLE:
        for dependency in forger.dependencies:
            if sent % 25 == 24:
                response = client.post(
                    "/_dash-update-component", data=forger.malformed(), content_type="application/json"
                )
            else:
                response = client.post("/_dash-update-component", json=forger.body(dependency))
            sent += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (dependency["output"], response.get_data(as_text=True)[:500])
            text = readable_text(response.get_data())
            found = forbidden.found(text)
            if found:
                leaks.append((dependency["output"][:60], found[:3]))
    assert leaks == [], leaks[:5]
    assert _audit_count(app_users, username) - before == sent
    # the gate refused what the role may not open, and the rest was answered
    assert statuses.get(200, 0) > sent // 3, statuses
    # the check had something to find: units outside the scope (doctors, for the bureau)
    outside = foreign_units(catalog, scope)
    assert bool(forbidden) == (role not in ("admin", "city"))
    assert bool(outside["institution"]) == (role in ("district", "consortium", "hospital"))
    assert bool(outside["doctor"]) == (role != "admin" and role != "city")
