"""The KPI definitions page through its callback: the disclosure rules for the deployment's threshold above
every KPI of the registry, in either language."""

from __future__ import annotations

from callbacks.definitions import render
from dashboard.ui import ids
from queries.definitions import definitions
from tests.support import texts


def _ids(component) -> set:
    found, stack = set(), [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "children"):
            found.add(getattr(node, "id", None))
            stack.append(node.children)
    return found


def test_the_rules_come_before_every_kpi_in_both_languages():
    for query, title, kpi in (
        ("", "小数保护：哪些数字不显示，为什么", "入组病例权重之和"),
        ("?lang=en", "Small numbers: what is withheld, and why", "Case-mix index"),
    ):
        content = render(query)
        found = _ids(content)
        assert ids.DISCLOSURE in found and {f"def-{k.id}" for k in definitions()} <= found
        text = texts(content)
        assert text.index(title) < text.index(kpi)


def test_the_rules_name_the_deployments_threshold(monkeypatch):
    assert "本系统当前的门槛是5，即计数为1至4的格子隐藏" in texts(render(""))
    monkeypatch.setenv("DASHBOARD_SUPPRESSION_THRESHOLD", "10")
    text = texts(render("?lang=en"))
    assert "This deployment's threshold is 10: cells with counts of 1 to 9 are withheld" in text
    assert "fewer than 10 such cases there is no list" in text
