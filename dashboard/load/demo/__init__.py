"""The demo warehouse: a believable city generated from a seed (see build.build_demo).

May import: dashboard.core, queries.kpi, queries.
"""
