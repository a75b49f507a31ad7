"""医联体绩效分析看板: a Plotly Dash product for medical-consortium performance analytics.

The modules directly in this package are the composition root, the only place that wires every layer
together: ``app`` (the Dash factory), ``cli`` (``python -m dashboard …``) and ``serve`` (``python app.py``).
Its subpackages are layers, from the ground up: ``core`` (settings, engine, warehouse contract, cache, errors,
messages, URL state, policy, months, reference vocabularies), ``ui`` (ids, words, formatting, figures,
components, exports; never queries), ``load`` (writing a warehouse: writer, atomic swap, PostgreSQL copy, the
demo generator) and ``bench`` (benchmarks, reached only from the command line). ``queries`` (the only SQL),
``callbacks`` and ``pages`` sit beside this package.

May import: dashboard.core, queries.kpi, queries, dashboard.ui, dashboard.load, dashboard.accounts, pages, callbacks, dashboard.bench.
"""
