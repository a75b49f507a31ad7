"""One catalogue per language: the same keys and placeholders in both, every key the code asks for present,
every code of a fixed vocabulary named, messages rendered from their parameters in either language, and no
words left in the layers below the UI."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from dashboard.core.messages import Message, Name, Term
from dashboard.ui import words
from queries.kpi.filters import DIMENSIONS, ENUMERATED
from queries.kpi.sources import FOLLOWUP_CAP

ROOT = Path(__file__).resolve().parents[2]
VOCABULARIES = ("level", "insurance_type", "sex", "chronic_group", "weight_band", "visit_type")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_hold_the_same_keys_with_the_same_placeholders():
    zh, en = words.catalogue("zh"), words.catalogue("en")
    assert set(zh) == set(en)
    for section in zh:
        assert set(zh[section]) == set(en[section]), section
        for key in zh[section]:
            assert _fields(zh[section][key]) == _fields(en[section][key]), f"{section}.{key}"


def _string_calls(function_names: tuple[str, ...], roots: tuple[str, ...]) -> set[str]:
    """The first argument of every call of these functions whose first argument is a string literal."""
    found = set()
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                first = node.args[0]
                if (
                    name in function_names
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                ):
                    found.add(first.value)
    return found


def test_every_message_the_code_raises_or_returns_is_in_the_catalogues():
    raised = _string_calls(
        (
            "UserFacingError",
            "NotApplicable",
            "PolicyError",
            "PolicyYearMissing",
            "WarehouseUnavailable",
            "WarehouseIncomplete",
            "of",
        ),
        ("dashboard", "queries", "callbacks", "pages"),
    )
    assert raised, "no message found: the scan is broken"
    missing = sorted(raised - set(words.catalogue("zh")["message"]))
    assert missing == []


def test_every_text_key_the_ui_asks_for_is_in_the_catalogues():
    asked = _string_calls(("t",), ("dashboard", "callbacks", "pages"))
    assert len(asked) > 50
    assert sorted(asked - set(words.catalogue("zh")["text"])) == []


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_code_of_a_fixed_vocabulary_is_named(vocabulary):
    for lang in words.LANGS:
        names = words.labels(vocabulary, lang)
        assert set(ENUMERATED[vocabulary]) <= set(names), (vocabulary, lang)


def test_every_dimension_is_named():
    for lang in words.LANGS:
        assert set(DIMENSIONS) <= set(words.labels("dimension", lang))


def test_a_message_is_rendered_from_its_parameters_in_either_language():
    message = Message.of(
        "residence_only",
        kpi=Name("住院率", "Hospitalisation rate"),
        dimensions=(Term("dimension", "institution"), Term("dimension", "team")),
    )
    assert words.tell(message, "zh") == "住院率按居住地统计，不能按机构、家庭医生团队细分或筛选"
    assert (
        words.tell(message, "en")
        == "Hospitalisation rate is residence-based: not by institution, family-doctor team"
    )


def test_codes_are_labelled_and_missing_units_said_so():
    assert words.label("level", "thc", "zh") == "乡镇卫生院"
    assert words.label("level", "thc", "en") == "Township health centre"
    assert words.label("level", "unheard-of", "en") == "unheard-of"
    assert words.label("level", None, "zh") == "（无）"
    assert words.label("followups", 6.0, "zh") == "≥6次" and words.label("followups", 2, "en") == "2"


def test_follow_up_bands_end_where_the_query_layer_caps_them():
    for lang in words.LANGS:
        names = words.labels("followups", lang)
        assert set(names) == {str(n) for n in range(FOLLOWUP_CAP + 1)}
        assert names[str(FOLLOWUP_CAP)] != str(FOLLOWUP_CAP)  # the open band says "or more"


def test_the_case_lists_stay_bands_are_named_as_the_query_layer_bands_them():
    from queries.drg import LOS_BANDS, LOS_OPEN_BAND

    for lang in words.LANGS:
        assert set(words.labels("los_band", lang)) == {band for _, band in LOS_BANDS} | {LOS_OPEN_BAND}


def test_rows_are_named_as_units_as_codes_or_as_the_whole_selection():
    import pandas as pd

    units = pd.DataFrame({"consortium_id": ["C1", None], "name": ["甲医联体", None]})
    assert list(words.unit_names(units, "en")["name"]) == ["甲医联体", "(none)"]
    levels = pd.DataFrame({"level": ["thc"], "name": ["thc"]})
    assert list(words.unit_names(levels, "zh")["name"]) == ["乡镇卫生院"]
    series = pd.DataFrame({"month": ["2025-01"], "name": [None]})
    assert list(words.unit_names(series, "zh")["name"]) == ["全部"]
    total = pd.DataFrame({"name": [None], "value": [1.0]})
    assert list(words.unit_names(total, "en")["name"]) == ["All"]


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_chinese_text_below_the_ui():
    """Queries and the ground return codes and messages; the words are the UI's. The registry's KPI names and
    definitions are data about the KPIs (DOMAIN.md §4), the DRG code module reads Chinese group names, and
    the extract checks read Chinese exports' 是/否."""
    allowed = {ROOT / "dashboard/core/drg_codes.py", ROOT / "queries/intake.py"}
    offenders = []
    for root in ("queries", "dashboard/core", "callbacks"):
        for path in (ROOT / root).rglob("*.py"):
            if path in allowed or "registry" in path.parts:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}:{line}: {text[:40]}"
                for line, text in _literals(path)
                if _CJK.search(text)
            ]
    assert offenders == []


def test_the_ui_speaks_only_through_the_catalogues():
    """Components, figures, pages and callbacks hold no Chinese text of their own."""
    offenders = []
    for root in (
        "dashboard/ui/components",
        "dashboard/ui/figures",
        "pages",
        "callbacks",
        "dashboard/ui/notes.py",
    ):
        paths = [ROOT / root] if root.endswith(".py") else (ROOT / root).rglob("*.py")
        for path in paths:
            offenders += [
                f"{path.relative_to(ROOT)}:{line}: {text[:40]}"
                for line, text in _literals(path)
                if _CJK.search(text)
            ]
    assert offenders == []
