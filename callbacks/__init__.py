"""Behaviour, one module per page (named as in ``pages/``) plus the shared frame (``shell``) and what every
panel shares (``panels``); each has ``register(app, settings)``. The audit page reads the trail from the
application database, hence dashboard.accounts. A callback turns the URL into a view, asks the
query layer's face, and hands the answer to a UI builder: no SQL, no words, no presentation of its own.

May import: dashboard.core, dashboard.ui, queries, dashboard.accounts.
"""

from callbacks import (
    audit,
    chronic,
    definitions,
    districts,
    drg,
    home,
    panels,
    quality,
    referrals,
    report,
    settlement,
    shell,
    visits,
    warehouse,
)


def register_all(app, settings) -> None:
    for module in (
        shell,
        panels,
        home,
        visits,
        referrals,
        chronic,
        drg,
        settlement,
        report,
        districts,
        warehouse,
        quality,
        definitions,
        audit,
    ):
        module.register(app, settings)
