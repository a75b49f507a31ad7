"""The UI kit: component ids, the words of both languages, number formatting, figures (by page family),
components and exports. Everything here is a pure function of the data it is given; it never queries.

May import: dashboard.core.
"""
