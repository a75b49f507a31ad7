"""Plotly figures as pure functions of panel data: ``theme`` (template, colours), ``common`` (what every
page family uses) and one module per page family.

May import: dashboard.core.
"""
