"""The house's layers, read from the code's own imports: each layer imports only the layers below it, with no
per-file exceptions, and no project import hides inside a function (except in the command line, which imports
lazily to start fast)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "queries", "callbacks", "pages")

# Layer -> the layers it may import (besides itself). A module belongs to the most specific layer naming it.
MAY_IMPORT = {
    "dashboard.core": set(),
    "queries.kpi": {"dashboard.core"},
    "queries": {"dashboard.core", "queries.kpi"},
    "dashboard.ui": {"dashboard.core"},
    "dashboard.load": {"dashboard.core", "queries.kpi", "queries"},
    "dashboard.accounts": {"dashboard.core"},
    "pages": {"dashboard.core", "dashboard.ui"},
    "callbacks": {"dashboard.core", "dashboard.ui", "queries", "dashboard.accounts"},
    "dashboard.bench": {"dashboard.core", "queries.kpi", "queries", "dashboard.load"},
    # the composition root: the factory, the command line and the server start wire every layer together
    "dashboard": {
        "dashboard.core",
        "queries.kpi",
        "queries",
        "dashboard.ui",
        "dashboard.load",
        "dashboard.accounts",
        "pages",
        "callbacks",
        "dashboard.bench",
    },
    "app": {"dashboard"},
}
LAZY_IMPORTS_ALLOWED = {"dashboard/cli.py"}
NEVER_DASH = ("dashboard.core", "queries.kpi", "queries", "dashboard.load", "dashboard.accounts")


def _layer(module: str) -> str | None:
    """The most specific layer a dotted module name belongs to."""
    best = None
    for layer in MAY_IMPORT:
        inside = module == layer or module.startswith(layer + ".")
        if inside and (best is None or len(layer) > len(best)):
            best = layer
    return best


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _production_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def _imports(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """Every absolute import of the project in a module: (dotted module, node)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import sub` imports the module pkg.sub when there is one
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                    ROOT / candidate.replace(".", "/") / "__init__.py"
                ).exists()
                found.append((candidate if is_module else node.module, node))
    return [(name, node) for name, node in found if name.split(".")[0] in (*PACKAGES, "app")]


def test_every_module_imports_only_the_layers_below_it():
    offenders = []
    for path in _production_files():
        module = _module_name(path)
        layer = _layer(module)
        assert layer is not None, f"{module} belongs to no layer"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for imported, node in _imports(tree):
            target = _layer(imported)
            if target != layer and target not in MAY_IMPORT[layer]:
                offenders.append(f"{module} ({layer}) imports {imported} ({target}) on line {node.lineno}")
    assert offenders == []


def test_no_project_import_hides_inside_a_function():
    offenders = []
    for path in _production_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in LAZY_IMPORTS_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = _imports_inside_functions(tree)
        offenders += [
            f"{relative}:{node.lineno} imports {imported} inside a function"
            for imported, node in _imports(tree)
            if id(node) in inside
        ]
    assert offenders == []


def _imports_inside_functions(tree: ast.Module) -> set[int]:
    """The ids of import statements that sit (at any depth) inside a function or lambda."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            found |= {id(n) for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)}
    return found


def test_imports_are_absolute():
    """A relative import would slip past the layer rules above (they read absolute module names)."""
    relative = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _production_files()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert relative == []


def test_the_lower_layers_never_import_dash():
    for path in _production_files():
        module = _module_name(path)
        if _layer(module) not in NEVER_DASH:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(name == "dash" or name.startswith("dash.") for name in names), module


def test_nothing_but_the_command_line_reaches_the_benchmarks():
    for path in _production_files():
        module = _module_name(path)
        if _layer(module) == "dashboard.bench" or module == "dashboard.cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(_layer(name) == "dashboard.bench" for name, _ in _imports(tree)), module


def test_every_package_says_what_it_may_import():
    """Each package's docstring has a line ``May import: …`` naming exactly the layers this test allows."""
    for package in sorted({p.parent for p in _production_files() if p.name == "__init__.py"}):
        module = _module_name(package / "__init__.py")
        layer = _layer(module)
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
        match = re.search(r"May import: (.*?)\.?$", doc, re.M)
        assert match, f"{module}'s docstring does not say what it may import"
        said = {
            w.strip()
            for w in match.group(1).split(",")
            if w.strip() and w.strip() != "nothing of the project"
        }
        assert said == MAY_IMPORT[layer], (
            f"{module} says {sorted(said)}, the rule is {sorted(MAY_IMPORT[layer])}"
        )


def test_no_production_module_is_over_600_lines():
    """Small modules with names that explain themselves: a module that outgrows 600 lines is split."""
    long = [
        f"{path.relative_to(ROOT)} ({n} lines)"
        for path in _production_files()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    ]
    assert long == []
