"""CHS-DRG code structure: MDC letter, ADRG (first three characters), severity digit."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^([A-Z])([A-Z])(\d)(\d)$")
SEVERITY = {"1": "major_cc", "3": "cc", "5": "no_cc", "9": "not_split"}


@dataclass(frozen=True)
class DrgCode:
    code: str
    mdc: str
    adrg: str
    kind: str  # surgical (A-J), nonor (K-Q: non-operating-room procedure), medical (R-Z)
    severity: str  # the 4th character: 1, 3, 5, 9 (others exist in some local versions)


def parse_drg_code(code: str) -> DrgCode:
    """Split a CHS-DRG code such as ``FM19``.

    Raises:
        ValueError: the code is not four characters of the form letter, letter, digit, digit.
    """
    text = code.strip().upper()
    match = _CODE.match(text)
    if not match:
        raise ValueError(f"not a CHS-DRG code: {code!r} (expected e.g. FM19)")
    mdc, kind_letter, _sequence, severity = match.groups()
    kind = "surgical" if kind_letter <= "J" else "nonor" if kind_letter <= "Q" else "medical"
    return DrgCode(text, mdc, text[:3], kind, severity)


# What a group's name says about its severity split, in the wording of CHS-DRG lists (and of the demo's).
_NAME_SEVERITY = (
    (re.compile(r"伴严重(的)?(并发症|合并症)"), "1"),
    (re.compile(r"(不伴(有)?|无)(并发症|合并症)"), "5"),
    (re.compile(r"伴(一般)?(并发症|合并症)"), "3"),
)


def severity_in_name(name: str) -> str:
    """The severity digit a group's name states: 1 with major CC, 3 with CC, 5 without, 9 not split."""
    for pattern, digit in _NAME_SEVERITY:
        if pattern.search(name):
            return digit
    return "9"
