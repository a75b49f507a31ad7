"""Component ids, one place for all of them (kebab-case)."""

PAGES_LOCATION = "_pages_location"  # Dash Pages' own location; every view's state lives in its search string

WAREHOUSE_SUMMARY = "warehouse-summary"
PAGE_CONTENT = "page-content"
NAVBAR = "navbar"
DATA_AS_OF = "data-as-of"
LANG_SWITCH = "lang-switch"
VIEWER = "viewer"  # the logged-in user's name, role and scope
LOGOUT = "logout"
URL_NOTICE = "url-notice"
BREADCRUMB = "breadcrumb"

FILTER_PERIOD = "filter-period"
FILTER_DISTRICT = "filter-district"
FILTER_CONSORTIUM = "filter-consortium"
FILTER_INSTITUTION = "filter-institution"
FILTER_TEAM = "filter-team"
FILTER_DISEASE = "filter-disease"
FILTER_INSURANCE = "filter-insurance"
FILTER_CHANGE = "filter-change"  # a filter the user changed: {"changed": filter id, "values": [...]}
FILTERS = {
    "period": FILTER_PERIOD,
    "district": FILTER_DISTRICT,
    "consortium": FILTER_CONSORTIUM,
    "institution": FILTER_INSTITUTION,
    "team": FILTER_TEAM,
    "disease": FILTER_DISEASE,
    "insurance": FILTER_INSURANCE,
}

HOME_CARDS = "home-cards"
HOME_SCORECARD = "home-scorecard"
HOME_DRILL = "home-drill"  # the clicked cell, passed on only when a unit was really clicked
HOME_SCORECARD_TITLE = "home-scorecard-title"
HOME_SCORECARD_CONTAINER = "home-scorecard-container"
HOME_RED_RED = "home-red-red"
DOWNLOAD = "download"
DOWNLOAD_CARDS_CSV = "download-cards-csv"
DOWNLOAD_CARDS_XLSX = "download-cards-xlsx"
DOWNLOAD_SCORECARD_CSV = "download-scorecard-csv"
DOWNLOAD_SCORECARD_XLSX = "download-scorecard-xlsx"
DEFINITIONS = "definitions-table"
DISCLOSURE = "disclosure"  # the disclosure rules on the definitions page (/definitions#disclosure)


def panel_body(key: str) -> dict:
    """Where a panel's chart (or its message) is drawn."""
    return {"type": "panel-body", "panel": key}


def panel_trigger(key: str) -> dict:
    """A store holding the panel's key: created with the page, it starts the panel's drawing."""
    return {"type": "panel-trigger", "panel": key}


def panel_graph(key: str) -> dict:
    """A panel's dcc.Graph; clicks on it drill down (pattern-matched by one callback for all pages)."""
    return {"type": "panel-graph", "panel": key}


def panel_csv(key: str) -> dict:
    return {"type": "panel-csv", "panel": key}


def panel_xlsx(key: str) -> dict:
    return {"type": "panel-xlsx", "panel": key}


def panel_file(key: str) -> dict:
    return {"type": "panel-file", "panel": key}


REPORT_HOSPITAL = "report-hospital"
REPORT_SLIDES = "report-slides"
REPORT_PRESENT = "report-present"
REPORT_PDF = "report-pdf"
REPORT_XLSX = "report-xlsx"
REPORT_DOWNLOAD = "report-download"

DISTRICT_KPI = "district-kpi"
DISTRICT_COMPARE = "district-compare"
DISTRICT_ADJUST = "district-adjust"
DISTRICT_LIMITS = "district-limits"
CHRONIC_COMPARE = "chronic-compare"
CHRONIC_LIMITS = "chronic-limits"
QUALITY_TABLE = "quality-table"

# the audit page (administrators)
AUDIT_SINCE = "audit-since"
AUDIT_USER = "audit-user"
AUDIT_KIND = "audit-kind"
AUDIT_TABLE = "audit-table"
