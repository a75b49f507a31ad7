"""The roles (DOMAIN §11) and the pages each may open. Which rows and units a role sees is its data scope
(``queries.access``); which pages it opens is here, as data, so the navigation, the page guard and the tests
read the same table."""

from __future__ import annotations

ROLES = ("admin", "city", "district", "consortium", "insurance", "hospital")
# the scope each role must have; the others see the whole city and take none
SCOPE_OF_ROLE = {"district": "district", "consortium": "consortium", "hospital": "institution"}

_CARE = ("/", "/visits", "/referrals", "/chronic")
_INSURANCE = ("/drg", "/settlement", "/report")
_REFERENCE = ("/definitions",)
_OPERATOR = ("/data-quality", "/warehouse")
ROLE_PAGES: dict[str, frozenset[str]] = {
    "admin": frozenset((*_CARE, *_INSURANCE, *_REFERENCE, *_OPERATOR, "/districts", "/audit")),
    "city": frozenset((*_CARE, *_INSURANCE, *_REFERENCE, *_OPERATOR, "/districts")),
    "district": frozenset((*_CARE, *_INSURANCE, *_REFERENCE, "/districts")),
    "consortium": frozenset((*_CARE, *_INSURANCE, *_REFERENCE)),
    "insurance": frozenset((*_INSURANCE, *_REFERENCE)),
    "hospital": frozenset((*_INSURANCE, *_REFERENCE)),
}
# pages that show a district official the whole city's districts, as aggregates (the commission's league
# tables); everywhere else a scoped viewer's views start at their own unit
CITY_OPEN_PAGES = frozenset({"/districts"})
# where a role lands after logging in when it asked for no page in particular
ROLE_DEFAULT_PAGE = {"insurance": "/drg", "hospital": "/report"}


# what the audit trail records: a login, a refused login, a logout, a page shown, the data of a panel or a
# control asked for, a file downloaded, a report exported, a request refused (no session, a page not open to
# the role, a malformed request)
AUDIT_KINDS = ("login", "login_failed", "logout", "page_view", "data", "download", "export", "refused")


def may_open(role: str | None, path: str) -> bool:
    """Whether ``role`` may open the page at ``path`` (an unknown role opens nothing)."""
    return path in ROLE_PAGES.get(role or "", frozenset())
