"""The import rule: the layers import one way only, and queries/ never imports Dash."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import PROJECT_ROOT as ROOT

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
