"""Chroma's embedded systems in this process: which one a client uses, and taking one out of use.

Chroma shares one in-memory system per path in a process (``SharedSystemClient``). The store takes a
system out of Chroma's cache when it must see the disk afresh (another process wrote) or when the system
failed to write (a full disk); every store of this process on the path then moves to a fresh one.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from typing import Any

__all__ = ["abandon", "detach", "is_current", "retire"]

#: Seconds after which a retired system is stopped: requests in flight on it are long done by then
#: (a system never stopped keeps its memory).
RETIRE_AFTER = 60.0
_RETIRED: list[tuple[float, Any]] = []  # (when, Chroma system) replaced by a fresh one, not yet stopped
_ABANDONED: list = []  # clients whose system failed to write: kept, never used or stopped again
_DETACHED: set[int] = set()  # ids of systems out of Chroma's cache but still answering, until retired
_LOCK = threading.Lock()
#: held while an embedded client is made: Chroma puts a new system in its cache before starting it, unlocked, so
#: two threads connecting at once (a fresh view loading beside a reopen) could share an unstarted one, or leak one
CREATING = threading.Lock()


def is_current(client) -> bool:
    """Whether ``client`` (embedded) still uses the system Chroma hands out for its path."""
    from chromadb.api.shared_system_client import SharedSystemClient

    return SharedSystemClient._identifier_to_system.get(client._identifier) is getattr(client._server, "_system", None)


def _take_out(client) -> bool:
    from chromadb.api.shared_system_client import SharedSystemClient

    if client is None or not is_current(client):
        return False
    SharedSystemClient._identifier_to_system.pop(client._identifier, None)
    SharedSystemClient._identifier_to_refcount.pop(client._identifier, None)
    return True


def _release(client) -> Any:
    """``client``'s system, taken out of use (out of Chroma's cache, or out of the answering :func:`detach` left it
    to); None when it was neither. Called holding ``_LOCK``."""
    system = getattr(getattr(client, "_server", None), "_system", None)
    if _take_out(client) or (system is not None and id(system) in _DETACHED):
        _DETACHED.discard(id(system))
        return system
    return None


def detach(client) -> bool:
    """Take ``client``'s system out of Chroma's cache, so that the next client of its path loads a fresh one,
    while ``client`` goes on answering meanwhile; :func:`retire` it once the fresh one is in use. False if it was
    no longer the current one."""
    with _LOCK:
        if not _take_out(client):
            return False
        _DETACHED.add(id(client._server._system))
        return True


def retire(client) -> None:
    """Take ``client``'s system out of use (or out of the answering that :func:`detach` left it) and stop it
    :data:`RETIRE_AFTER` seconds later; stop the systems retired that long ago."""
    with _LOCK:
        if (system := _release(client)) is not None:
            _RETIRED.append((time.monotonic(), system))
        while _RETIRED and time.monotonic() - _RETIRED[0][0] > RETIRE_AFTER:
            with suppress(Exception):
                _RETIRED.pop(0)[1].stop()


def abandon(client) -> None:
    """Take ``client``'s system out of use for good, never stopping it: after a failed write, embedded
    Chroma can block for minutes holding the interpreter lock, in ``stop`` as in any other call."""
    with _LOCK:
        if _release(client) is not None:
            _ABANDONED.append(client)
