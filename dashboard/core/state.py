"""The view state that lives in the URL: every view is a shareable link, and back steps through drill-downs.

Parsing is lenient: an unknown parameter or a malformed value is dropped and reported, never a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from urllib.parse import parse_qsl, urlencode

# DOMAIN §4: 本年累计 (months 1–N of the data's last year) by default; a single month or a whole quarter
# (the only periods with a 环比); a rolling 12 months; last year; everything
DEFAULT_PERIOD = "this_year"
PERIODS = ("this_year", "last_month", "last_quarter", "last_12_months", "last_year", "all")
DRILL_LEVELS = ("district", "consortium", "institution", "team", "doctor")
_CODE = re.compile(r"^[A-Za-z0-9.\-_]{1,32}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PAIR = re.compile(r"^[A-Za-z0-9.\-_]{1,32}~[A-Za-z0-9.\-_]{1,32}$")
CHOICES = {
    "period": PERIODS,
    "lang": ("zh", "en"),
    "insurance": ("employee", "resident", "none"),
    "disease": ("hypertension", "diabetes"),
    "compare": ("parent", "peer"),
    "adjust": ("standardised",),
    "limits": ("overdispersed", "plain"),
    "table": ("inpatient", "referrals", "followups"),  # the data-quality page's fact table ("" = visits)
}


@dataclass(frozen=True)
class ViewState:
    period: str = DEFAULT_PERIOD
    start: str = ""  # YYYY-MM, overrides period when set with end
    end: str = ""
    district: str = ""
    consortium: str = ""
    institution: str = ""
    team: str = ""
    doctor: str = ""
    disease: str = ""
    insurance: str = ""
    chapter: str = ""  # ICD-10 chapter chosen on the visits page (its diagnoses chart shows the categories)
    pair: str = ""  # referring~receiving institution, chosen on the referrals page's flow diagram
    group: str = ""  # MDC (1 character), ADRG (3) or DRG (4) chosen on the DRG page's drill-down
    kpi: str = ""  # the KPI compared on the district page
    # the comparator of every verdict of the view: "" = the city, "parent" = the selection the units make up,
    # "peer" = units of the same kind (urban or rural districts, consortia of a type, institutions of a level)
    compare: str = ""
    adjust: str = ""  # "" = crude rates, "standardised" = indirectly standardised by age band × sex
    # funnel control limits: "overdispersed" = widened by Spiegelhalter's (2005) additive random effects where
    # the units are overdispersed (the default: plain limits put nearly every large unit outside), or "plain"
    limits: str = "overdispersed"
    table: str = ""  # the data-quality page's fact table: "" (visits), inpatient, referrals, followups
    load: str = ""  # the load whose report the data-quality page shows ("" = the latest)
    lang: str = "zh"

    def to_query(self) -> str:
        defaults = ViewState()
        pairs = [
            (f.name, getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) and getattr(self, f.name) != getattr(defaults, f.name)
        ]
        return "?" + urlencode(pairs) if pairs else ""

    def deepest(self) -> tuple[str, str] | None:
        """The most specific unit selected: (level, code)."""
        for level in reversed(DRILL_LEVELS):
            if getattr(self, level):
                return level, getattr(self, level)
        return None

    def up_to(self, level: str | None) -> ViewState:
        """The same view with every drill level below ``level`` cleared (None clears them all)."""
        keep = DRILL_LEVELS[: DRILL_LEVELS.index(level) + 1] if level else ()
        return replace(self, **{lv: "" for lv in DRILL_LEVELS if lv not in keep})

    def select(self, level: str, code: str) -> ViewState:
        """Choose a unit at ``level``; its descendants are reset (a parent change never keeps stale children)."""
        return replace(self.up_to(level), **{level: code})


def parse_query(params: dict | str | None) -> tuple[ViewState, list[str]]:
    """A ViewState from query parameters (a dict or a '?a=b' string), plus the parameters it ignored."""
    if isinstance(params, str):
        params = dict(parse_qsl(params.lstrip("?"), keep_blank_values=True))
    params = params or {}
    values, ignored = {}, []
    names = {f.name for f in fields(ViewState)}
    for key, raw in params.items():
        value = str(raw).strip() if raw is not None else ""
        if key not in names:
            ignored.append(key)
            continue
        if not value:
            continue
        if key in CHOICES:
            ok = value in CHOICES[key]
        elif key in ("start", "end"):
            ok = bool(_MONTH.match(value))
        elif key == "pair":
            ok = bool(_PAIR.match(value))
        else:
            ok = bool(_CODE.match(value))
        if ok:
            values[key] = value
        else:
            ignored.append(key)
    state = ViewState(**values)
    if bool(state.start) != bool(state.end) or (state.start and state.start > state.end):
        state = replace(state, start="", end="")
        ignored.append("start/end")
    return state, ignored
