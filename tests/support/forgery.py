"""Forged callback requests: every server callback the app declares (read from ``/_dash-dependencies``),
called with other units' codes, wrong types, junk and oversized values, as an attacker with a valid session
would send them; and what a role must never see in the answers (names and codes of units outside its scope).
"""

from __future__ import annotations

import base64
import io
import json
import random
import re

from callbacks.panels import panels_of
from queries.access import in_scope
from queries.kpi.catalog import Catalog

PAGES = ("/", "/visits", "/referrals", "/chronic", "/drg", "/settlement", "/report", "/districts", "/audit")
PANEL_TYPES = ("panel-body", "panel-trigger", "panel-file", "panel-csv", "panel-xlsx", "panel-graph")


def _split_outputs(output: str) -> list[tuple[str, str]]:
    """Dash's output string ("..a.children...b.value.." or "a.children", ids maybe JSON) as (id, property)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        part = part.split("@")[0] if "@" in part.rsplit(".", 1)[-1] else part
        component, prop = part.rsplit(".", 1)
        out.append((component, prop.split("@")[0]))
    return out


def _concrete(component: str, panel: str):
    """A pattern id with its wildcard filled in (one panel), or the string id as it is."""
    if not component.startswith("{"):
        return component
    pattern = json.loads(component)
    return {k: (panel if isinstance(v, list) else v) for k, v in pattern.items()}


class Forger:
    """Builds forged bodies for the app's callbacks with values aimed at ``foreign`` units."""

    def __init__(self, app, client, catalog: Catalog, foreign: dict[str, list[str]], seed: int):
        self.random = random.Random(seed)
        self.dependencies = [
            d for d in json.loads(client.get("/_dash-dependencies").data) if not d.get("clientside_function")
        ]
        self.panels = sorted(panels_of(app))
        self.catalog = catalog
        self.foreign = foreign
        # any unit, in scope or not, from a few per level: for a role that sees everything each unit is a view
        # of its own to compute, and a thousand different views would take minutes without finding more
        self.all_codes = {
            level: self.random.sample(sorted(catalog.names.get(level, {})), 3)
            for level in ("district", "consortium", "institution", "team", "doctor")
        }

    def code(self) -> str:
        """A unit code: mostly outside the scope, sometimes any unit, sometimes junk."""
        roll = self.random.random()
        level = self.random.choice(list(self.all_codes))
        if roll < 0.6 and self.foreign.get(level):
            return self.random.choice(self.foreign[level])
        if roll < 0.85:
            return self.random.choice(self.all_codes[level])
        return self.random.choice(["", "x" * 40, "I' OR 1=1 --", "../../etc/passwd", "医院", "_other", "%00"])

    def search(self) -> str:
        """One of a dozen query strings drawn at the start (each view is computed once, then cached)."""
        if not hasattr(self, "_searches"):
            self._searches = [self._new_search() for _ in range(12)]
        return self.random.choice(self._searches)

    def _new_search(self) -> str:
        """A query string naming units (mostly foreign), with junk mixed in."""
        levels = ["district", "consortium", "institution", "team", "doctor"]
        params = []
        for level in self.random.sample(levels, self.random.randint(1, 5)):
            params.append(f"{level}={self.code()}")
        # a few fixed tails (period, language, a page's own choices): the units are what is forged here, and
        # a small set of views keeps the answers cached, so a thousand requests take seconds, not minutes
        tail = self.random.choice(
            ["", "", f"pair={self.code()}~{self.code()}", f"pair={self.code()}~{self.code()}", "group=ES21"]
        )
        if tail:
            params.append(tail)
        return "?" + "&".join(params)

    def value(self, prop: str):
        """A value for a property: plausible-but-foreign most of the time, a wrong type or junk otherwise."""
        roll = self.random.random()
        if roll < 0.15:
            return self.random.choice(
                [None, 0, -1, 1e308, True, [], {}, ["a", 1], {"a": {"b": [1]}}, "x" * 20000, "\x00\ud800"[:1]]
            )
        if prop == "search":
            return self.search()
        if prop == "pathname":
            return self.random.choice(PAGES)
        if prop == "clickData":
            level = self.random.choice(["district", "consortium", "institution", "team", "doctor", "chapter"])
            return {
                "points": [{"customdata": self.random.choice([[level, self.code()], f"{self.code()}~x"])}]
            }
        if prop == "cellClicked":
            return {"rowId": self.code(), "colId": "value"}
        if prop == "data":
            return self.random.choice(
                [
                    {"changed": "filter-institution", "values": ["all", *[self.code() for _ in range(6)]]},
                    {"changed": "filter-district", "values": [self.code()] * 7},
                    self.code(),
                    1,
                ]
            )
        if prop == "n_clicks":
            return self.random.choice([1, 2, None, "1"])
        return self.code()

    def body(self, dependency: dict) -> dict:
        panel = self.random.choice([*self.panels, "no-such-panel"])
        outputs = [
            {"id": _concrete(c, panel), "property": p} for c, p in _split_outputs(dependency["output"])
        ]

        def item(spec):
            component = spec["id"]
            if component.startswith("{") and '["ALL"]' in component:
                return [
                    {
                        "id": _concrete(component, p),
                        "property": spec["property"],
                        "value": self.value(spec["property"]),
                    }
                    for p in self.random.sample(self.panels, 2)
                ]
            return {
                "id": _concrete(component, panel),
                "property": spec["property"],
                "value": self.value(spec["property"]),
            }

        inputs = [item(s) for s in dependency["inputs"]]
        changed = [
            f"{json.dumps(outputs[0]['id']) if isinstance(outputs[0]['id'], dict) else outputs[0]['id']}"
        ]
        return {
            "output": dependency["output"],
            "outputs": outputs if len(outputs) > 1 or dependency["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": [item(s) for s in dependency["state"]],
            "changedPropIds": [f"{changed[0]}.{dependency['inputs'][0]['property']}"] if inputs else [],
        }

    def malformed(self) -> bytes:
        """A body Dash cannot read at all."""
        return self.random.choice(
            [b"", b"{", b"[]", b'{"output": 1}', b'{"output": "x.y", "inputs": "z"}', b"\xff\xfe", b"null"]
        )


def foreign_units(catalog: Catalog, scope) -> dict[str, list[str]]:
    """Units outside ``scope``, by level (districts are left out: they may appear as aggregates)."""
    return {
        level: sorted(
            code for code in catalog.names.get(level, {}) if not in_scope(catalog, scope, level, code)
        )
        for level in ("consortium", "institution", "team", "doctor")
    }


class Forbidden:
    """What a response for a scope must not contain: the names of units outside it (those that are not part
    of a name the viewer may see) and their codes as whole tokens (consortium codes C01… are left out: they
    are ICD-10 categories too, and the consortia's names are checked). One pass over a text finds them all."""

    def __init__(self, catalog: Catalog, scope):
        foreign = foreign_units(catalog, scope)
        allowed_names = [
            catalog.names[level][code]
            for level in ("district", "consortium", "institution", "team", "doctor")
            for code in catalog.names.get(level, {})
            if code not in foreign.get(level, [])
        ]
        names = {
            catalog.names[level][code]
            for level, codes in foreign.items()
            for code in codes
            if len(catalog.names[level][code]) >= 3
        }
        names = {n for n in names if not any(n in allowed for allowed in allowed_names)}
        self.codes = {code for level, codes in foreign.items() if level != "consortium" for code in codes}
        ordered = sorted(names, key=len, reverse=True)
        self.names = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return bool(self.codes) or self.names is not None

    def found(self, text: str) -> list[str]:
        """The forbidden names and codes in ``text``."""
        hits = sorted(self.codes.intersection(re.findall(r"[A-Za-z0-9]+", text)))
        if self.names is not None:
            hits += sorted(set(self.names.findall(text)))
        return hits


def forbidden_patterns(catalog: Catalog, scope) -> Forbidden:
    return Forbidden(catalog, scope)


def readable_text(data: bytes) -> str:
    """A callback's answer as text a person would read: the JSON with its escapes undone, and the content of
    any file it sends (CSV, xlsx, PDF) opened."""
    try:
        answer = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")
    texts = [json.dumps(answer, ensure_ascii=False)]
    stack = [answer]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("base64") and isinstance(node.get("content"), str):
                texts.append(_file_text(node.get("filename", ""), base64.b64decode(node["content"])))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return "\n".join(texts)


def _file_text(name: str, content: bytes) -> str:
    if name.endswith(".xlsx"):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            " ".join("" if v is None else str(v) for v in row)
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
        )
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode("utf-8-sig", "replace")
