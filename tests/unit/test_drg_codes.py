"""CHS-DRG codes and group lists: parsing a code, the real CHS-DRG 1.1 list, malformed lists."""

from __future__ import annotations

import pytest

from dashboard.core.drg_codes import parse_drg_code, severity_in_name
from dashboard.load.drg_catalogue import read_group_list
from tests.support import SHARED_REFERENCE


def test_parse_drg_code():
    code = parse_drg_code("fm19")
    assert (code.code, code.mdc, code.adrg, code.kind, code.severity) == ("FM19", "F", "FM1", "nonor", "9")
    assert parse_drg_code("BR25").kind == "medical"
    assert parse_drg_code("IC29").kind == "surgical"
    for bad in ("F19", "FM1X", "12AB", ""):
        with pytest.raises(ValueError, match="not a CHS-DRG code"):
            parse_drg_code(bad)


def test_real_chs_drg_list_parses():
    """The real CHS-DRG 1.1 list (../shared/reference): 628 groups, 376 ADRGs, 26 MDCs at most."""
    path = SHARED_REFERENCE / "chs-drg-1.1-groups.txt"
    if not path.exists():
        pytest.skip("shared/reference is not beside this checkout")
    lines = [line.split(maxsplit=1) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    codes = [parse_drg_code(code) for code, _name in lines]
    assert len(codes) == 628
    assert len({c.adrg for c in codes}) == 376
    assert {c.severity for c in codes} <= {"1", "3", "5", "9"}
    by_code = {c.code: (c, name) for c, (_, name) in zip(codes, lines, strict=True)}
    assert by_code["BR25"][0].adrg == "BR2" and "不伴" in by_code["BR25"][1]


def test_real_chs_drg_list_loads_as_a_catalogue():
    """Loaded as a catalogue, every one of the 628 real groups gets the MDC, ADRG and severity its code
    says, and the severity agrees with what its Chinese name says (伴严重… / 伴… / 不伴… / not split)."""
    path = SHARED_REFERENCE / "chs-drg-1.1-groups.txt"
    if not path.exists():
        pytest.skip("shared/reference is not beside this checkout")
    catalogue = read_group_list(path.read_text(encoding="utf-8"))
    assert len(catalogue) == 628 and catalogue["drg_code"].is_unique
    assert (catalogue["mdc_code"] == catalogue["drg_code"].str[0]).all()
    assert (catalogue["adrg_code"] == catalogue["drg_code"].str[:3]).all()
    assert catalogue["adrg_code"].nunique() == 376 and catalogue["mdc_code"].nunique() == 26
    stated = catalogue["drg_name"].map(severity_in_name)
    assert (stated == catalogue["severity"]).all(), catalogue[stated != catalogue["severity"]]
    assert catalogue["severity"].value_counts().to_dict() == {"9": 192, "5": 184, "3": 129, "1": 123}
    # an ADRG is either split by severity or not, never both
    split = catalogue.groupby("adrg_code")["severity"].agg(lambda s: ("9" in set(s), len(set(s))))
    assert all(not has_nine or count == 1 for has_nine, count in split)


def test_a_malformed_group_list_names_its_line():
    with pytest.raises(ValueError, match="line 2: not a CHS-DRG code"):
        read_group_list("AA19 心脏移植\nXX 坏行\n")
    with pytest.raises(ValueError, match="line 1: expected 'CODE NAME'"):
        read_group_list("AA19\n")
