"""One module per page: ``dash.register_page(…)`` and ``layout(**query_params)``, nothing else. Panels are laid
out by key; ``callbacks/`` fills them.

May import: dashboard.core, dashboard.ui.
"""
