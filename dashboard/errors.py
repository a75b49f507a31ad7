"""Errors meant for people: each carries one line that says what went wrong and what to do."""


class UserFacingError(Exception):
    """An error whose message is shown to the user as it is, without a traceback."""


class WarehouseUnavailable(UserFacingError):
    """The configured warehouse cannot be opened (bad URL, server down, missing or corrupt file)."""


class WarehouseIncomplete(UserFacingError):
    """The warehouse opens but does not hold the complete contract (a half-written or foreign file)."""
