"""Behaviour, one module per page; each has ``register(app, settings)``."""

from callbacks import home


def register_all(app, settings) -> None:
    home.register(app, settings)
