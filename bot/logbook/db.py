"""Opening the question log's database: the URL, one engine per URL per process, the migration.

Two backends: SQLite (the default, a file in the data dir, shared by the processes of one
machine) and PostgreSQL through psycopg 3 (shared by workers on many machines). Every error that
means "this database cannot be used" becomes a :class:`BackendUnavailableError` naming
``BOT_DATABASE_URL``, with the password masked.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from urllib.parse import quote, quote_plus

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError, NoSuchModuleError, OperationalError

from bot.logbook.schema import meta
from index.errors import BackendUnavailableError

__all__ = ["parse_url", "masked", "open_engine", "release", "migrate", "writing", "unavailable", "insert", "meta_setdefault",
           "file_identity"]

MIGRATIONS = Path(__file__).with_name("migrations")
#: SQLite waits this long for another process's write lock before giving up.
BUSY_TIMEOUT_S = 30
#: Seconds psycopg waits for a PostgreSQL server to answer a connection.
CONNECT_TIMEOUT_S = 10
#: The key of the PostgreSQL advisory lock held while migrating ("newsbot" in ASCII).
MIGRATION_LOCK = int.from_bytes(b"newsbot", "big")
_SETTING = "BOT_DATABASE_URL"

_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()
#: SQLite: one write transaction at a time per engine within a process. SQLite's own wait for its write lock
#: (busy_timeout) polls with sleeps of up to 100 ms, so 40 server threads writing at once slept while the lock
#: was free (p95 48 ms and a longest wait of 4.8 s for a 0.2 ms insert, measured); a thread lock wakes the
#: next writer at once. Other processes still meet SQLite's wait, which is rare.
_write_locks: dict[int, threading.RLock] = {}
_write_locks_lock = threading.Lock()


def parse_url(raw: str) -> URL:
    """The SQLAlchemy URL of ``raw``: ``postgres://`` and ``postgresql://`` mean psycopg 3.

    Only SQLite and PostgreSQL are supported (the limits use their ``ON CONFLICT`` upserts)."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise BackendUnavailableError(
            f"{_SETTING} is not a database URL: use postgresql://user:password@host/database, "
            "or leave it unset for SQLite in the data dir") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise BackendUnavailableError(
            f"{_SETTING}={masked(url)}: the question log supports PostgreSQL (postgresql://…) and SQLite (sqlite:///path)")
    return url


def masked(url: URL) -> str:
    """The URL as people may see it: the password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def _reason(exc: BaseException, url: URL | None) -> str:
    """The driver's own words about ``exc``, on one line, without the password."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if url is not None and url.password:
        text = _hide_password(text, str(url.password))
    text = re.sub(r"\s*\(Background on this error.*$", "", text)
    return text[:400]


def _hide_password(text: str, password: str) -> str:
    """``text`` with ``password`` masked where it stands as one: in a URL (``user:PASSWORD@``, as typed or
    percent-encoded) or a connection string (``password=PASSWORD``); the same letters elsewhere are left alone."""
    for form in dict.fromkeys((password, quote(password, safe=""), quote_plus(password))):
        pw = re.escape(form)
        text = re.sub(rf"(://[^\s:/@]*:){pw}@", r"\1***@", text)
        text = re.sub(rf"(\bpassword\s*=\s*)(['\"]?){pw}\2(?=[\s'\",;]|$)", r"\1\2***\2", text, flags=re.I)
    return text


def _advice(url: URL | None, reason: str) -> str:
    if "locked" in reason:
        return (f"another process held the database for over {BUSY_TIMEOUT_S} s; try again, or give many workers "
                f"a PostgreSQL database ({_SETTING})")
    if url is not None and url.get_backend_name() == "sqlite":
        where = Path(url.database or "").parent
        return f"check that {where} exists or can be created and is writable, or point {_SETTING} elsewhere"
    return f"check {_SETTING} (host, port, database, user and password) and that the server is running"


def _unusable(exc: BaseException) -> bool:
    # OperationalError: no server, wrong password, locked or unopenable file; a plain DatabaseError:
    # "file is not a database". Its other subclasses (integrity, programming) are bugs: they propagate.
    return isinstance(exc, (OperationalError, InterfaceError, NoSuchModuleError, OSError)) or type(exc) is DatabaseError


@contextmanager
def unavailable(raw_url: str) -> Iterator[None]:
    """Turn "this database cannot be used" errors inside the block into a :class:`BackendUnavailableError`."""
    try:
        yield
    except Exception as exc:
        if not _unusable(exc):
            raise
        url: URL | None = None
        try:
            url = parse_url(raw_url)
            shown = masked(url)
        except BackendUnavailableError:
            url, shown = None, "(unparseable)"
        reason = _reason(exc, url)
        raise BackendUnavailableError(
            f"the question log's database {shown} ({_SETTING}) cannot be used: {reason}; {_advice(url, reason)}"
        ) from exc


def _sqlite_connect(dbapi_connection, _record) -> None:
    # SQLAlchemy's documented recipe: sqlite3 emits no BEGIN of its own, the "begin" hook below does
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    # readers never wait for the writer; several processes share the file. Switching a new file to WAL can
    # meet another process doing the same, and SQLite then answers "locked" without waiting: try again.
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode, and much faster
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A write transaction takes the write lock at BEGIN: a deferred one that read first would get
    # SQLITE_BUSY at once, without waiting, when another process wrote in between.
    immediate = conn.get_execution_options().get("logbook_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _create(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed at the end (rolled back on an error).

    On SQLite it begins with ``BEGIN IMMEDIATE``: the write lock is taken (or waited for) first, after this
    process's other writers (:data:`_write_locks`)."""
    with _write_lock(engine), engine.connect() as conn:
        conn.execution_options(logbook_write=True)
        with conn.begin():
            yield conn


def _write_lock(engine: Engine) -> AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _write_locks_lock:
        return _write_locks.setdefault(id(engine), threading.RLock())


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to the newest revision (``alembic upgrade head``; tests name an older
    ``revision``); a no-op when it is there.

    Safe when several processes start at once: the upgrade runs in one transaction that first takes
    a lock (PostgreSQL: ``pg_advisory_xact_lock``; SQLite: ``BEGIN IMMEDIATE``, the write lock), so
    a second process waits, then finds the database at head."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def open_engine(raw_url: str) -> Engine:
    """The engine of ``raw_url``, created and migrated on the first call in this process.

    One engine per URL per process: the workers of a server share a pool, and a forked child makes
    its own (a pooled connection must not cross a fork)."""
    with unavailable(raw_url):
        url = parse_url(raw_url)
        key = (os.getpid(), url.render_as_string(hide_password=False))
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _create(url)
                try:
                    migrate(engine)
                except BaseException:
                    engine.dispose()
                    raise
                _engines[key] = engine
    return engine


def file_identity(engine: Engine) -> tuple[int, int] | None:
    """A SQLite file database's (device, inode); None for another database or a file that is gone."""
    name = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    try:
        stat = os.stat(name)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def release(engine: Engine) -> None:
    """Forget ``engine`` and close its pooled connections (the next :func:`open_engine` makes a new one)."""
    with _engines_lock:
        for key, cached in list(_engines.items()):
            if cached is engine:
                del _engines[key]
    engine.dispose()


def insert(conn: Connection, table: Table):
    """An INSERT of ``table`` in the connection's dialect, with its ``on_conflict_do_*`` methods."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def meta_setdefault(conn: Connection, key: str, value: str) -> str:
    """The ``meta`` value of ``key``: stored as ``value`` if absent, else the one already there.

    Insert-if-absent, then read back: when two workers race, both get the first one's value."""
    conn.execute(insert(conn, meta).values(key=key, value=value).on_conflict_do_nothing(index_elements=[meta.c.key]))
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one()
