"""How the question log knows a client without keeping its address: :func:`client_key` and :class:`Clients`.

Client addresses are stored only as salted hashes. The salt is ``log_salt`` if set, else a random
32-byte secret made once and kept in the ``meta`` table (insert-if-absent, then read back), so every
worker sharing the database hashes a client the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.logbook import db

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["client_key", "Clients"]

_SALT_KEY = "client_salt"


def client_key(address: str, salt: bytes) -> str:
    """The salted hash a client is known by: HMAC-SHA256 of its address, hex, first 32 characters.

    An IPv6 address is keyed by its /64, since one host commonly holds a whole /64 and could
    otherwise dodge the rate limit by changing address; an IPv4-mapped IPv6 address counts as the
    IPv4 address. Any other string (a test client's name, a proxy's token) is hashed as is."""
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        text = address
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            text = str(ip.ipv4_mapped)
        elif isinstance(ip, ipaddress.IPv6Address):
            text = str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
        else:
            text = str(ip)
    return hmac.new(salt, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class Clients:
    """The keys of clients under this database's salt: :meth:`key` for the limits, :meth:`logged` for the log."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._salt: bytes | None = None
        self._salt_of: Engine | None = None  # the engine the salt was read from: another one (a reopened file) reads it again

    def _salt_for(self, engine: Engine) -> bytes:
        if self.settings.log_salt is not None:
            return self.settings.log_salt.get_secret_value().encode("utf-8")
        if self._salt is None or self._salt_of is not engine:
            with db.writing(engine) as conn:
                self._salt = bytes.fromhex(db.meta_setdefault(conn, _SALT_KEY, secrets.token_hex(32)))
            self._salt_of = engine
        return self._salt

    def key(self, engine: Engine, address: str) -> str:
        """The key ``address`` is known by in the limits' buckets (its :func:`client_key` under the salt)."""
        return client_key(address, self._salt_for(engine))

    def logged(self, engine: Engine, address: str, day: date) -> str:
        """What the log stores of a client: its key under a salt that changes every UTC day, so that
        the log cannot link one reader's questions across days, and a brute force of every IPv4
        address against a copy of the database finds one day's clients, not all of them."""
        return client_key(address, self._salt_for(engine) + day.isoformat().encode("ascii"))
