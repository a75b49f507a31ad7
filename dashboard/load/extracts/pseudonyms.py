"""Identity never enters the warehouse (DOMAIN §9): a person's identifier becomes an HMAC-SHA256 pseudonym
under a key the deployment keeps outside the warehouse, so one person's records still link across files and
months, and nobody without the key can turn a pseudonym back into the ID number or test a guess."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from dashboard.core.errors import UserFacingError

KEY_ENV = "DASHBOARD_PSEUDONYM_KEY_FILE"
PSEUDONYM_HEX = 32  # 128 bits: the contract's 32-character ids, and no collision among a country's people
MIN_KEY_BYTES = 16


def read_key(path: str | None) -> bytes | None:
    """The key from ``path`` or ``DASHBOARD_PSEUDONYM_KEY_FILE``; None when neither is given."""
    path = path or os.environ.get(KEY_ENV) or None
    if path is None:
        return None
    try:
        # a key written with a text editor ends with a line break; any other byte is part of the key
        key = Path(path).read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise UserFacingError(
            "pseudonym_key_unreadable", path=str(path), reason=exc.strerror or str(exc)
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise UserFacingError("pseudonym_key_short", path=str(path), minimum=MIN_KEY_BYTES)
    return key


def pseudonym(key: bytes, identifier: str) -> str:
    """The pseudonym of an identifier as the loader normalises it (trimmed, letters upper case, so an ID
    number's final x and X are one person: ``queries.intake.identifier_values``)."""
    digest = hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX]


def pseudonyms(key: bytes, identifiers: list[str]) -> list[str]:
    return [pseudonym(key, value) for value in identifiers]
