"""What to say, without saying it: a message is a key of the interface's catalogues with its parameters, so
that the query layer and the ground never phrase anything for people (the UI's words do, in each language).

Parameters are plain values, or ``Name`` (a name both languages have, from data: a KPI of the registry, a unit
of the warehouse) or ``Term`` (a code of a vocabulary the catalogues name: a dimension, a level …), or tuples of
these (listed with the language's separator).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    """Something named in both languages by the data itself."""

    zh: str
    en: str


@dataclass(frozen=True)
class Term:
    """A code of one of the catalogues' vocabularies (``dimension``, ``level``, ``unit`` …)."""

    vocabulary: str
    code: str


@dataclass(frozen=True)
class Message:
    """A catalogue key (section ``message``) and its parameters."""

    key: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, key: str, /, **params) -> Message:
        return cls(key, tuple(sorted((k, _frozen(v)) for k, v in params.items())))

    def __str__(self) -> str:  # for logs and developers; people read it through the UI's catalogues
        inner = ", ".join(f"{k}={v!r}" for k, v in self.params)
        return f"{self.key}({inner})"


def _frozen(value):
    return tuple(_frozen(v) for v in value) if isinstance(value, list | tuple) else value
