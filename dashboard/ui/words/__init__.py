"""Every word the interface shows, from one catalogue per language: ``zh.toml`` (the working language) and
``en.toml``. Lower layers never phrase anything for people: they return codes, numbers and messages (a key
with parameters, ``dashboard.core.messages``), and this module turns them into text.

Why TOML files rather than gettext: the product's source language is Chinese, not English msgids; its two
catalogues are small, have named ``{placeholders}`` and sections for code vocabularies (levels, visit types,
dimensions …); TOML needs no compile step and no extra dependency; a test checks that both catalogues hold the
same keys with the same placeholders, which is what gettext's tooling would otherwise be for.

May import: dashboard.core.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path

from pandas.api.types import is_numeric_dtype

from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Message, Name, Term
from dashboard.core.reference import OTHER_UNITS, PEER_PREFIX

LANGS = ("zh", "en")
CATALOGUE_DIR = Path(__file__).resolve().parent
# frame columns whose codes are a vocabulary of the catalogue (the receiving level is a level too)
COLUMN_VOCABULARY = {
    "level": "level",
    "to_level": "level",
    "visit_type": "visit_type",
    "weight_band": "weight_band",
    "insurance_type": "insurance_type",
    "sex": "sex",
    "chronic_group": "chronic_group",
    "followups": "followups",
}
# first columns of a frame whose rows are the whole selection (a total, or a series of totals), not units
WHOLE_SELECTION_COLUMNS = ("name", "month", "quarter", "year")
_SEPARATOR = {"zh": "、", "en": ", "}


@cache
def catalogue(lang: str) -> dict[str, dict[str, str]]:
    """The catalogue of ``lang``: section -> key -> text."""
    language = lang if lang in LANGS else "zh"
    with (CATALOGUE_DIR / f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else "zh"


def t(key: str, lang: str = "zh", **params) -> str:
    """Interface text ``key`` in ``lang``, its ``{placeholders}`` filled from ``params``."""
    text = catalogue(_lang(lang))["text"][key]
    return text.format(**{k: _render(v, lang) for k, v in params.items()}) if params else text


def label(vocabulary: str, code, lang: str = "zh") -> str:
    """The name of ``code`` in a vocabulary of the catalogue (a level, a visit type, a dimension …); a code
    the catalogue does not know is shown as it is, a missing one as "(none)"."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return t("none_unit", lang)
    if isinstance(code, float) and code.is_integer():  # a count read back as a float (follow-ups)
        code = int(code)
    return catalogue(_lang(lang)).get(vocabulary, {}).get(str(code), str(code))


def labels(vocabulary: str, lang: str = "zh") -> dict[str, str]:
    """Every code of a vocabulary with its name."""
    return dict(catalogue(_lang(lang)).get(vocabulary, {}))


def pick(name, lang: str = "zh") -> str:
    """The ``lang`` side of something named in both languages: a Name, a (zh, en) pair, or an object with
    ``name_zh`` and ``name_en`` (a KPI of the registry)."""
    if isinstance(name, Name):
        return name.en if _lang(lang) == "en" else name.zh
    if isinstance(name, tuple):
        return name[1] if _lang(lang) == "en" else name[0]
    return name.name_en if _lang(lang) == "en" else name.name_zh


def tell(message: Message | UserFacingError, lang: str = "zh") -> str:
    """A message (or a user-facing error) as a sentence in ``lang``."""
    if isinstance(message, UserFacingError):
        message = message.message
    template = catalogue(_lang(lang))["message"][message.key]
    return template.format(**{k: _render(v, lang) for k, v in message.params})


def _render(value, lang: str) -> str:
    if isinstance(value, Name):
        return pick(value, lang)
    if isinstance(value, Term):
        return label(value.vocabulary, value.code, lang)
    if isinstance(value, Message):
        return tell(value, lang)
    if isinstance(value, tuple | list):
        return _SEPARATOR[_lang(lang)].join(_render(v, lang) for v in value)
    return str(value)


def unit_names(frame, lang: str = "zh"):
    """``frame`` with its ``name`` column in words: codes of a catalogue vocabulary in its first column (levels,
    visit types, weight bands, follow-up counts …) named by the catalogue; units of the warehouse keep the names
    it gave them, a missing unit (an institution in no consortium) is "(none)"; rows that are the whole
    selection (a KPI without a breakdown, by period or not) are "all"."""
    if frame is None or frame.empty:
        return frame
    frame = stand_in_names(frame, lang)
    if "name" not in frame:
        return frame
    first = frame.columns[0]
    if first in WHOLE_SELECTION_COLUMNS:
        return frame.assign(name=[t("all_units", lang) if _missing(n) else n for n in frame["name"]])
    vocabulary = COLUMN_VOCABULARY.get(first)
    if vocabulary is not None:
        return frame.assign(name=[label(vocabulary, code, lang) for code in frame[first]])
    return frame.assign(name=[t("none_unit", lang) if _missing(n) else n for n in frame["name"]])


def stand_in_name(value, lang: str = "zh"):
    """The words for a stand-in of units outside the viewer's scope (其他机构, 同级医院A); other values as
    they are."""
    if value == OTHER_UNITS:
        return t("other_units", lang)
    if isinstance(value, str) and value.startswith(PEER_PREFIX):
        return t("peer_anonymous", lang, letter=value[len(PEER_PREFIX) :])
    return value


def stand_in_names(frame, lang: str = "zh"):
    """``frame`` with every stand-in (in a code or a name column) in words."""
    columns = [
        c
        for c in frame.columns
        if not is_numeric_dtype(frame[c])
        and frame[c]
        .map(lambda v: v == OTHER_UNITS or (isinstance(v, str) and v.startswith(PEER_PREFIX)))
        .any()
    ]
    if not columns:
        return frame
    return frame.assign(**{c: [stand_in_name(v, lang) for v in frame[c]] for c in columns})


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def column_labels(column: str, lang: str = "zh") -> dict[str, str]:
    """The catalogue's names for the codes of a frame column, when they are one of its vocabularies."""
    vocabulary = COLUMN_VOCABULARY.get(column)
    return labels(vocabulary, lang) if vocabulary else {}


def page_names(page: str) -> dict[str, str]:
    """A page's name in both languages and its browser title (Chinese, the working language), as Dash Pages'
    ``register_page`` takes them."""
    name = catalogue("zh")["page"][page]
    return {
        "name": name,
        "name_en": catalogue("en")["page"][page],
        "title": f"{t('app_brand', 'zh')} · {name}",
    }


def join(items, lang: str = "zh") -> str:
    """Items listed the way the language lists them (、 in Chinese, commas in English)."""
    return _SEPARATOR[_lang(lang)].join(str(i) for i in items)
