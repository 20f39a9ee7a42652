"""The question log and the abuse limits: :class:`Logbook`, over one SQL database.

Every question the chat, the embed, the API or the OpenAI-compatible endpoint answers is one row
(question, answer, scope, first cited article, latency, a salted hash of the client, the reader's
👍/👎 and comment). The same database holds each client's token bucket and each article's daily
count, so every worker that shares it shares the limits, and the editors' sessions and wrong-token
counts (``/admin``, :mod:`bot.web.admin`), so that a logout or a lock-out holds on every worker. The
limits and the sessions work when questions are not logged (``log_questions`` off): the database is
there all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, or_, select, update

from bot.logbook import db, legacy, limits, sessions
from bot.logbook.schema import daily_counts, meta, questions, rate_buckets
from index.errors import RateLimitedError

if TYPE_CHECKING:
    from bot.models import Answer
    from bot.settings import Settings

__all__ = ["Logbook", "QuestionRow", "client_key", "CHANNELS", "MAX_COMMENT_CHARS"]

log = logging.getLogger(__name__)
#: Seconds between checks that a SQLite database file is still the one this process opened.
FILE_CHECK_EVERY = 1.0

#: Where a question came from.
CHANNELS = ("chat", "embed", "api", "openai", legacy.IMPORT_CHANNEL)
#: The longest comment kept; a longer one is cut.
MAX_COMMENT_CHARS = 2000
#: record() prunes at most this often (seconds).
PRUNE_EVERY_S = 3600
_SALT_KEY = "client_salt"
#: what no database column may hold: NUL (PostgreSQL's text refuses it) and lone UTF-16 surrogates (not UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str | None) -> str | None:
    """``text`` as every database stores it: NUL and lone surrogates become U+FFFD (�). A question
    may hold them (a client can send anything); the log keeps the rest of it rather than fail."""
    return None if text is None else _UNSTORABLE.sub("\ufffd", text)


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


@dataclass(frozen=True)
class QuestionRow:
    """One logged question, as :meth:`Logbook.rows` returns it."""

    id: int
    asked_at: datetime  # timezone-aware UTC
    day: str  # "YYYY-MM-DD" (UTC) of asked_at
    article: str | None  # the scope asked in (None = all articles)
    cited_article: str | None  # article id of the first citation, if any
    question: str
    answer: str
    refused: bool
    latency_ms: float
    client: str  # salted hash, never the raw address ("" for imported rows)
    channel: str  # one of CHANNELS
    liked: bool | None  # 👍 True, 👎 False, None unrated
    comment: str | None


class Logbook:
    """The question log and the limits in the database ``settings.database`` names.

    Cheap to construct: the first use of :attr:`engine` connects, migrates, prunes old rows and
    imports an old ``feedback.jsonl`` (when ``log_questions`` is on). A database that cannot be
    used raises :class:`BackendUnavailableError` naming ``BOT_DATABASE_URL``, from every method.

    Client addresses are stored only as :func:`client_key` hashes. The salt is ``log_salt`` if set,
    else a random 32-byte secret made once and kept in the ``meta`` table (insert-if-absent, then
    read back), so every worker sharing the database hashes a client the same way."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._file: tuple[int, int] | None = None  # SQLite: the database file's (device, inode) when opened
        self._checked_at = 0.0
        self._salt: bytes | None = None
        self._pruned_at = 0.0
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The database's engine: on first use created and migrated (``alembic upgrade head``; one
        engine per URL per process), then old rows pruned and an old feedback file imported."""
        if self._engine is not None and time.monotonic() - self._checked_at > FILE_CHECK_EVERY:
            self._check_file()
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = db.open_engine(self.settings.database)
                    self._startup(engine)
                    self._file, self._checked_at = db.file_identity(engine), time.monotonic()
                    self._engine = engine
        return self._engine

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
            self._engine, self._file, self._salt = None, None, None

    def _startup(self, engine: Engine) -> None:
        with self._usable():
            self._prune(engine, datetime.now(UTC))
            self._pruned_at = time.monotonic()
            feedback = self.settings.feedback_path
            if self.settings.log_questions and feedback.is_file():
                self._import(engine, feedback)

    @contextmanager
    def _usable(self) -> Iterator[None]:
        with db.unavailable(self.settings.database):
            yield

    def _client(self, engine: Engine, address: str) -> str:
        if self._salt is None:
            if self.settings.log_salt is not None:
                self._salt = self.settings.log_salt.get_secret_value().encode("utf-8")
            else:
                with db.writing(engine) as conn:
                    self._salt = bytes.fromhex(db.meta_setdefault(conn, _SALT_KEY, secrets.token_hex(32)))
        return client_key(address, self._salt)

    def _logged_client(self, engine: Engine, address: str, day: date) -> str:
        """What the log stores of a client: its key under a salt that changes every UTC day, so that
        the log cannot link one reader's questions across days, and a brute force of every IPv4
        address against a copy of the database finds one day's clients, not all of them."""
        self._client(engine, address)  # makes the salt
        return client_key(address, self._salt + day.isoformat().encode("ascii"))

    def admit(self, client: str, article: str | None, now: float | None = None) -> None:
        """Let a question in, or raise :class:`RateLimitedError` (with ``retry_after`` seconds).

        Over the limit: the client (its raw address) has no token left in its bucket (``rate_limit``
        a minute, bursts of ``rate_burst``), or the scope ``article`` (None = all articles, counted
        as a scope of its own) has had ``article_daily_cap`` questions today (UTC). Both checks run
        in one transaction, so a question the cap refuses costs the client no token. The limits
        apply even when ``log_questions`` is off; ``now`` (epoch seconds) is for tests."""
        settings = self.settings
        if not settings.rate_limit and not settings.article_daily_cap:
            return
        now = time.time() if now is None else now
        with self._usable():
            engine = self.engine
            key = self._client(engine, client) if settings.rate_limit else ""
            with db.writing(engine) as conn:
                if settings.rate_limit:
                    wait = limits.take_token(conn, key, per_minute=settings.rate_limit, burst=settings.rate_burst, now=now)
                    if wait is not None:
                        raise RateLimitedError(limits.rate_message(settings.rate_limit, wait), wait)
                if settings.article_daily_cap:
                    scope = limits.ALL_SCOPE if article is None else storable(article)
                    day = datetime.fromtimestamp(now, UTC).date().isoformat()
                    if not limits.count_question(conn, scope, day, settings.article_daily_cap):
                        wait = limits.seconds_to_midnight(now)
                        raise RateLimitedError(limits.cap_message(scope, settings.article_daily_cap, wait), wait)

    def record(self, *, question: str, article: str | None, answer: Answer, latency_ms: float, client: str,
               channel: str) -> int | None:
        """Store one answered question; its row id, or None when ``log_questions`` is off.

        ``client`` is the raw address (stored only as its :func:`client_key`); ``channel`` one of
        :data:`CHANNELS`. The citations are kept as JSON (``{n, article_id, title, text}`` each) and
        the first one's article as ``cited_article``. Prunes old rows at most once an hour."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
        if not self.settings.log_questions:
            return None
        asked_at = datetime.now(UTC)
        cited = [c.model_dump() for c in answer.citations]
        with self._usable():
            engine = self.engine
            if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
                self._pruned_at = time.monotonic()
                self._prune(engine, asked_at)
            values = {
                "asked_at": asked_at, "day": asked_at.date().isoformat(), "article": storable(article),
                "cited_article": storable(cited[0]["article_id"]) if cited else None, "question": storable(question),
                "answer": storable(answer.answer), "refused": answer.refused, "latency_ms": float(latency_ms),
                "client": self._logged_client(engine, client, asked_at.date()), "channel": channel,
                "citations": storable(legacy.citations_json(cited)),
            }
            with db.writing(engine) as conn:
                return conn.execute(questions.insert().values(values).returning(questions.c.id)).scalar_one()

    def rate(self, question_id: int, liked: bool | None, comment: str | None = None, *, client: str | None = None) -> bool:
        """Set the reader's 👍 (True), 👎 (False) or no rating (None) on a logged question.

        ``comment`` is trimmed and cut to :data:`MAX_COMMENT_CHARS`; None keeps the one there, an
        empty one removes it. With ``client`` (a raw address) only a question that client asked is
        rated, and only within its ratings' bucket (:data:`limits.FEEDBACK_SHARE` times the questions'
        rate and burst; over it, :class:`RateLimitedError`). False when there is no such row (or
        questions are not logged)."""
        if not self.settings.log_questions:
            return False
        values: dict = {"liked": liked, "rated_at": datetime.now(UTC)}
        if comment is not None:
            values["comment"] = storable(comment.strip()[:MAX_COMMENT_CHARS].strip()) or None
        with self._usable():
            engine = self.engine
            stmt = update(questions).where(questions.c.id == question_id).values(values)
            if client is not None and self.settings.rate_limit:
                share, key = limits.FEEDBACK_SHARE, limits.RATINGS + self._client(engine, client)
                with db.writing(engine) as conn:
                    wait = limits.take_token(conn, key, per_minute=self.settings.rate_limit * share,
                                             burst=self.settings.rate_burst * share, now=time.time())
                if wait is not None:
                    raise RateLimitedError(limits.rating_message(wait), wait)
            if client is not None:  # asked today or yesterday (UTC): a reader rates right after the answer
                today = datetime.now(UTC).date()
                keys = [self._logged_client(engine, client, day) for day in (today, today - timedelta(days=1))]
                stmt = stmt.where(questions.c.client.in_(keys))
            with db.writing(engine) as conn:
                return conn.execute(stmt).rowcount > 0

    def open_session(self, seconds: float) -> str:
        """Open an editor's session lasting ``seconds``; its random id (the database keeps only its hash)."""
        session_id = sessions.new_id()
        with self._usable(), db.writing(self.engine) as conn:
            sessions.open_session(conn, session_id, datetime.now(UTC), seconds)
        return session_id

    def session_open(self, session_id: str, now: datetime | None = None) -> bool:
        """Whether ``session_id`` is open: opened by :meth:`open_session` (by any worker), not ended nor expired."""
        with self._usable(), self.engine.connect() as conn:
            return sessions.is_open(conn, session_id, now or datetime.now(UTC))

    def end_session(self, session_id: str) -> None:
        """End ``session_id`` for every worker (logging out)."""
        with self._usable(), db.writing(self.engine) as conn:
            sessions.end(conn, session_id)

    def login_failed(self, client: str, now: float | None = None) -> None:
        """Count a wrong admin token from ``client`` (a raw address, keyed like the questions' bucket)."""
        with self._usable():
            key = limits.LOGIN + self._client(self.engine, client)
            with db.writing(self.engine) as conn:
                limits.take_token(conn, key, per_minute=limits.LOGIN_FAILURES / limits.LOGIN_WINDOW_S * 60,
                                  burst=limits.LOGIN_FAILURES, now=time.time() if now is None else now)

    def login_wait(self, client: str, now: float | None = None) -> int:
        """Seconds before ``client`` may try an admin token again (0: now): :data:`limits.LOGIN_FAILURES` wrong
        ones at once, then one every ``LOGIN_WINDOW_S / LOGIN_FAILURES`` seconds."""
        with self._usable():
            key = limits.LOGIN + self._client(self.engine, client)
            with self.engine.connect() as conn:
                return limits.token_wait(conn, key, per_minute=limits.LOGIN_FAILURES / limits.LOGIN_WINDOW_S * 60,
                                         burst=limits.LOGIN_FAILURES, now=time.time() if now is None else now)

    def rows(self, article: str | None = None, since: date | None = None) -> list[QuestionRow]:
        """The logged questions, oldest first; ``article`` matches the scope asked in or the cited
        article; ``since`` keeps the questions asked on that UTC day or later."""
        q = questions.c
        stmt = select(*(q[name] for name in QuestionRow.__dataclass_fields__)).order_by(q.asked_at, q.id)
        if article is not None:
            article = storable(article)
            stmt = stmt.where(or_(q.article == article, q.cited_article == article))
        if since is not None:
            stmt = stmt.where(q.day >= since.isoformat())
        with self._usable(), self.engine.connect() as conn:
            return [QuestionRow(**row._asdict()) for row in conn.execute(stmt)]

    def prune(self, now: datetime | None = None) -> int:
        """Delete the questions older than ``log_retention_days`` (0 keeps them forever), the
        buckets idle long enough to be full again, the daily counts of past days and the expired
        editors' sessions; returns how many questions were deleted."""
        with self._usable():
            return self._prune(self.engine, now or datetime.now(UTC))

    def _prune(self, engine: Engine, now: datetime) -> int:
        settings, deleted = self.settings, 0
        with db.writing(engine) as conn:
            if settings.log_retention_days:
                cutoff = now - timedelta(days=settings.log_retention_days)
                deleted = conn.execute(delete(questions).where(questions.c.asked_at < cutoff)).rowcount
            # a bucket idle for burst/rate seconds is full: dropping it changes nothing (the ratings' take as
            # long as the questions', the wrong admin tokens' LOGIN_WINDOW_S)
            full_after = settings.rate_burst / (settings.rate_limit / 60) if settings.rate_limit else 0.0
            full_after = max(full_after, limits.LOGIN_WINDOW_S)
            conn.execute(delete(rate_buckets).where(rate_buckets.c.updated < now.timestamp() - full_after))
            sessions.prune(conn, now)
            conn.execute(delete(daily_counts).where(daily_counts.c.day < now.astimezone(UTC).date().isoformat()))
        if deleted:
            log.info("pruned %d logged questions older than %d days", deleted, settings.log_retention_days)
        return deleted

    def import_feedback(self, path: Path) -> int:
        """Import an old ``feedback.jsonl`` once; returns the rows imported (0 when already done).

        Each line becomes a question on channel ``"import"`` (client "", latency 0, 👍/👎 kept);
        malformed lines are skipped and counted in a logged warning; the file is then deleted, so
        that its questions are kept only as long as the log's retention allows. A ``meta`` key for the file, claimed in the transaction that
        inserts the rows, makes the import happen once even when several workers start together."""
        with self._usable():
            return self._import(self.engine, Path(path))

    def _import(self, engine: Engine, path: Path) -> int:
        marker = "imported:" + hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:32]
        claim = json.dumps({"path": str(path), "at": datetime.now(UTC).isoformat(), "by": uuid.uuid4().hex})
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # another worker imported and deleted it
            return 0
        except OSError as exc:  # nothing claimed yet: the next start tries again
            log.warning("could not read %s to import it into the question log: %s", path, exc)
            return 0
        rows, malformed = legacy.parse_feedback(data)
        rows = [{k: storable(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
        with db.writing(engine) as conn:
            if db.meta_setdefault(conn, marker, claim) != claim:
                log.info("%s was imported into the question log before; skipping it", path)
                return 0
            if rows:
                conn.execute(questions.insert(), rows)
        if malformed:
            log.warning("skipped %d malformed line(s) of %s while importing it into the question log", malformed, path)
        try:
            path.unlink()
        except OSError as exc:  # the meta key already keeps it from being imported twice
            log.warning("imported %s but could not delete it: %s", path, exc)
        log.info("imported %d rated answer(s) from %s into the question log", len(rows), path)
        return len(rows)

    def recall(self, key: str) -> str | None:
        """The value :meth:`keep` stored under ``key`` (in the ``meta`` table), or None."""
        with self._usable(), self.engine.connect() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()

    def keep(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless a value is there already (every worker shares it); the value kept."""
        with self._usable(), db.writing(self.engine) as conn:
            return db.meta_setdefault(conn, key, storable(value))

    def close(self) -> None:
        """Close the database connections (the engine is made again on next use)."""
        with self._lock:
            if self._engine is not None:
                db.release(self._engine)
                self._engine = None
