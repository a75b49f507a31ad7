"""Errors meant for people: each carries a message (a catalogue key and its parameters) that the interface
shows in the viewer's language and the command line prints on one line, without a traceback."""

from __future__ import annotations

from dashboard.core.messages import Message


class UserFacingError(Exception):
    """An error whose message is shown to the user as it is, without a traceback."""

    def __init__(self, key: str, /, **params) -> None:
        self.message = Message.of(key, **params)
        super().__init__(str(self.message))

    @property
    def key(self) -> str:
        return self.message.key

    @property
    def params(self) -> dict:
        return dict(self.message.params)


class WarehouseUnavailable(UserFacingError):
    """The configured warehouse cannot be opened (bad URL, server down, missing or corrupt file)."""


class WarehouseIncomplete(UserFacingError):
    """The warehouse opens but does not hold the complete contract (a half-written or foreign file)."""


class QueryTooLong(UserFacingError):
    """A query ran past the deployment's time limit (``DASHBOARD_QUERY_SECONDS``) and was stopped."""
