"""Small pure pieces: number formatting, DRG codes, calendar, the import rule."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from dashboard.demo.calendar import Period, day_weights, last_full_month
from dashboard.drg import parse_drg_code, read_group_list, severity_in_name
from dashboard.formatting import format_int, format_large, format_yuan
from tests.conftest import SHARED_REFERENCE

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (9_999, "9,999"),
        (10_000, "1.0万"),
        (5_191_585, "519.2万"),
        (312_000_000, "3.1亿"),
        (-25_000, "-2.5万"),
    ],
)
def test_format_large(value, text):
    assert format_large(value) == text


def test_format_int_and_yuan():
    assert format_int(1234567.0) == "1,234,567"
    assert format_yuan(361.6) == "361.60元"
    assert format_yuan(123_456) == "12.3万元"
    assert format_yuan(4.5e8) == "4.5亿元"


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


def test_period_and_calendar():
    assert last_full_month(dt.date(2026, 11, 25)) == dt.date(2026, 10, 1)
    assert last_full_month(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
    period = Period.ending(dt.date(2026, 10, 1))
    assert (period.start, period.end, len(period.months())) == (
        dt.date(2023, 11, 1),
        dt.date(2026, 10, 31),
        36,
    )
    february_2026 = next(m for m in period.months() if (m.year, m.month) == (2026, 2))
    weights = day_weights(february_2026)
    assert weights[16] < 0.5 * weights[9]  # Spring Festival 2026-02-17 is quiet, a week before is not


LAYERS = {"pages", "callbacks", "queries", "dashboard"}
# Composition roots may wire the layers together; everything else imports one way only.
ENTRY_POINTS = {
    "dashboard/app.py",
    "dashboard/cli.py",
    "dashboard/serve.py",
    "dashboard/bench_build.py",
    "dashboard/bench_kpi.py",
    "dashboard/bench_ui.py",
    "dashboard/warehouse.py",  # a load rebuilds the rollups, whose statements live in queries/
}
ALLOWED = {
    "pages": {"dashboard"},
    "callbacks": {"queries", "dashboard"},
    "queries": {"dashboard"},
    "dashboard": {"dashboard"},
}


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & (LAYERS | {"app"})


def test_imports_run_one_way():
    offenders = []
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ENTRY_POINTS:
                continue
            bad = _imported_layers(path) - ALLOWED[layer] - {layer}
            if "app" in _imported_layers(path) or bad:
                offenders.append(f"{relative} imports {sorted(bad | (_imported_layers(path) & {'app'}))}")
    assert offenders == []


def test_queries_never_import_dash():
    for path in (ROOT / "queries").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m == "dash" or m.startswith("dash.") for m in modules), path


def test_figure_builders_as_data():
    from dashboard.figures import TEMPLATE, empty_figure, sparkline_svg

    figure = empty_figure("所选范围内没有数据")
    assert figure.layout.template.layout.font.family.startswith('"PingFang SC"')
    assert figure.layout.annotations[0].text == "所选范围内没有数据" and not figure.data
    assert TEMPLATE == "consortium"
    svg = sparkline_svg([0.5, 0.52, None, 0.55])
    assert svg.startswith("data:image/svg+xml") and "polyline" in svg
    assert sparkline_svg([0.5]) == ""  # one point is not a line
