"""Behaviour, one module per page plus the shared frame; each has ``register(app, settings)``."""

from callbacks import (
    chronic,
    definitions,
    districts,
    drg,
    home,
    panels,
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
        definitions,
    ):
        module.register(app, settings)
