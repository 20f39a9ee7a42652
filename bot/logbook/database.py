"""The one database handle every job of the question log shares: :class:`Database`.

It opens the engine on first use (:func:`bot.logbook.db.open_engine`: created and migrated), runs the
startup hook its owner gives it (pruning, the old feedback import), and on SQLite notices a database
file deleted or replaced under the running bot and opens the file that is there now.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.logbook import db

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["Database", "FILE_CHECK_EVERY"]

log = logging.getLogger(__name__)
#: Seconds between checks that a SQLite database file is still the one this process opened.
FILE_CHECK_EVERY = 1.0


class Database:
    """The engine of the database ``settings.database`` names, made on first use.

    ``on_open(engine)`` runs once each time the engine is made (inside :meth:`usable`, under the lock,
    before any other job sees the engine). Cheap to construct: nothing connects until :attr:`engine`."""

    def __init__(self, settings: Settings, on_open: Callable[[Engine], None] | None = None) -> None:
        self.settings = settings
        self.on_open = on_open
        self._engine: Engine | None = None
        self._file: tuple[int, int] | None = None  # SQLite: the database file's (device, inode) when opened
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The database's engine: on first use created and migrated (``alembic upgrade head``; one
        engine per URL per process), then ``on_open`` run on it."""
        if self._engine is not None and time.monotonic() - self._checked_at > FILE_CHECK_EVERY:
            self._check_file()
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = db.open_engine(self.settings.database)
                    if self.on_open is not None:
                        with self.usable():
                            self.on_open(engine)
                    self._file, self._checked_at = db.file_identity(engine), time.monotonic()
                    self._engine = engine
        return self._engine

    def open(self) -> Engine:
        """The engine, opened now if it is not yet (:attr:`engine`)."""
        return self.engine

    @contextmanager
    def usable(self) -> Iterator[None]:
        """Turn "this database cannot be used" errors inside the block into a :class:`BackendUnavailableError`."""
        with db.unavailable(self.settings.database):
            yield

    def _check_file(self) -> None:
        """SQLite: a database file deleted or replaced under a running bot (by hand, by a restore) is
        reported and reopened, so this process never goes on writing rows to a file nobody will read,
        and it and every other process use the file that is there now."""
        with self._lock:
            engine, self._checked_at = self._engine, time.monotonic()
            if engine is None or self._file is None:
                return
            now = db.file_identity(engine)
            if now == self._file:
                return
            log.error(
                "the question log's database %s was %s while the bot was running; it is opened again (rows "
                "written to the old file since then are lost; restore from a backup if they matter)",
                engine.url.database, "deleted" if now is None else "replaced by another file",
            )
            db.release(engine)
            self._engine, self._file = None, None

    def close(self) -> None:
        """Close the database connections (the engine is made again on next use)."""
        with self._lock:
            if self._engine is not None:
                db.release(self._engine)
                self._engine = None
