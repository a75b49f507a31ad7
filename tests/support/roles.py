"""One user per role on the test session's demo city, each with one scope (DOMAIN §11)."""

from __future__ import annotations

from dashboard.accounts import store

ROLE_PASSWORD = "role-password-123"
# role -> (user name, scope type, scope code) in the S demo city
ROLE_USERS = {
    "admin": ("role-admin", None, None),
    "city": ("role-city", None, None),
    "district": ("role-district", "district", "990122"),  # 平湖县
    "consortium": ("role-consortium", "consortium", "C04"),  # 平湖县紧密型医共体
    "insurance": ("role-insurance", None, None),
    "hospital": ("role-hospital", "institution", "I010"),  # a secondary hospital of C04
}


def add_role_users(app_database: str, warehouse: str) -> None:
    """The role users in the session's application database (once)."""
    engine = store.app_engine(app_database)
    for role, (name, kind, code) in ROLE_USERS.items():
        if store.get_user(engine, name) is None:
            store.add_user(engine, name, role, f"{kind}={code}" if kind else None, None, ROLE_PASSWORD)
