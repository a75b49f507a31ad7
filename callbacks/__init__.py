"""Behaviour, one module per page plus the shared frame; each has ``register(app, settings)``."""

from callbacks import definitions, home, shell, warehouse


def register_all(app, settings) -> None:
    for module in (shell, home, warehouse, definitions):
        module.register(app, settings)
