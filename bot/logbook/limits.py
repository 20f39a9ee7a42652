"""The abuse limits, as single atomic statements every worker sharing the database agrees on.

A client's token bucket and a scope's daily count are each one ``INSERT … ON CONFLICT DO UPDATE
… WHERE … RETURNING``: the database applies it atomically, so two processes admitting the same
client at once can never both spend its last token. No row returned means "over the limit".

Every rate limit is a :class:`Bucket` (a key prefix, a rate and a burst), applied by :class:`Limits`.
Three per client, all keyed by its questions' key (an IPv6 client by its /64): its questions, its
ratings (:data:`RATINGS` + key) and its wrong admin tokens (:data:`LOGIN` + key, the ``/admin`` lock-out).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, case, select

from bot.logbook import db
from bot.logbook.db import insert
from bot.logbook.schema import daily_counts, rate_buckets, storable
from index.errors import RateLimitedError

if TYPE_CHECKING:
    from bot.logbook.clients import Clients
    from bot.logbook.database import Database
    from bot.settings import Settings

__all__ = ["ALL_SCOPE", "FEEDBACK_SHARE", "RATINGS", "LOGIN", "LOGIN_FAILURES", "LOGIN_WINDOW_S", "Bucket",
           "LOGIN_BUCKET", "Limits", "token_wait", "take_token", "count_question", "seconds_to_midnight",
           "rate_message", "rating_message", "cap_message"]

#: The daily-count scope of questions asked across all articles.
ALL_SCOPE = "*"
#: A client's ratings (👍/👎, comments) have a bucket of their own, this many times its questions' rate and burst:
#: a reader rates an answer once or twice, a script counting through answer ids many times more.
FEEDBACK_SHARE = 3
#: The prefix of a client's ratings' bucket key: the rest is its questions' key (:func:`~bot.logbook.clients.client_key`,
#: an IPv6 client by its /64), so that both buckets count the same clients.
RATINGS = "rating "
#: The prefix of a client's wrong admin tokens' bucket: :data:`LOGIN_FAILURES` wrong tokens at once, then one
#: every ``LOGIN_WINDOW_S / LOGIN_FAILURES`` seconds (10 in 10 minutes on average).
LOGIN = "login "
LOGIN_FAILURES = 10
LOGIN_WINDOW_S = 600


@dataclass(frozen=True)
class Bucket:
    """One kind of token bucket: keys ``prefix`` + a client's key, ``burst`` tokens at most, ``per_minute``
    back a minute. A ``per_minute`` of 0 is no limit."""

    prefix: str
    per_minute: float
    burst: int

    @property
    def full_after(self) -> float:
        """Seconds an empty bucket takes to fill: one idle that long is as good as none (0 for no limit)."""
        return self.burst / (self.per_minute / 60) if self.per_minute else 0.0

    def take(self, conn: Connection, key: str, now: float) -> int | None:
        """Spend one of ``key``'s tokens (:func:`take_token`); None when spent, else the seconds until one is there."""
        return take_token(conn, self.prefix + key, per_minute=self.per_minute, burst=self.burst, now=now)

    def wait(self, conn: Connection, key: str, now: float) -> int:
        """Seconds until ``key`` has a token (:func:`token_wait`), spending nothing."""
        return token_wait(conn, self.prefix + key, per_minute=self.per_minute, burst=self.burst, now=now)


#: The wrong admin tokens' bucket: :data:`LOGIN_FAILURES` at once, then one every ``LOGIN_WINDOW_S / LOGIN_FAILURES`` s.
LOGIN_BUCKET = Bucket(LOGIN, per_minute=LOGIN_FAILURES / LOGIN_WINDOW_S * 60, burst=LOGIN_FAILURES)


class Limits:
    """Every rate limit and the daily cap, over the shared database: :meth:`admit` for questions,
    :meth:`take_rating` for ratings, :meth:`login_failed` and :meth:`login_wait` for ``/admin``.

    They apply even when ``log_questions`` is off. The buckets are read from the settings on each use."""

    def __init__(self, settings: Settings, database: Database, clients: Clients) -> None:
        self.settings, self.database, self.clients = settings, database, clients

    @property
    def questions(self) -> Bucket:
        """A client's questions: ``rate_limit`` a minute, bursts of ``rate_burst``."""
        return Bucket("", self.settings.rate_limit, self.settings.rate_burst)

    @property
    def ratings(self) -> Bucket:
        """A client's ratings: :data:`FEEDBACK_SHARE` times its questions' rate and burst."""
        return Bucket(RATINGS, self.settings.rate_limit * FEEDBACK_SHARE, self.settings.rate_burst * FEEDBACK_SHARE)

    @property
    def buckets(self) -> tuple[Bucket, ...]:
        """Every bucket a client may have."""
        return self.questions, self.ratings, LOGIN_BUCKET

    def admit(self, client: str, article: str | None, now: float | None = None) -> None:
        """Let a question in, or raise :class:`RateLimitedError` (with ``retry_after`` seconds).

        Over the limit: the client (its raw address) has no token left in its :attr:`questions` bucket,
        or the scope ``article`` (None = all articles, counted as a scope of its own) has had
        ``article_daily_cap`` questions today (UTC). Both checks run in one transaction, so a question
        the cap refuses costs the client no token. ``now`` (epoch seconds) is for tests."""
        settings = self.settings
        if not settings.rate_limit and not settings.article_daily_cap:
            return
        now = time.time() if now is None else now
        with self.database.usable():
            engine = self.database.engine
            key = self.clients.key(engine, client) if settings.rate_limit else ""
            with db.writing(engine) as conn:
                if settings.rate_limit:
                    wait = self.questions.take(conn, key, now)
                    if wait is not None:
                        raise RateLimitedError(rate_message(settings.rate_limit, wait), wait)
                if settings.article_daily_cap:
                    scope = ALL_SCOPE if article is None else storable(article)
                    day = datetime.fromtimestamp(now, UTC).date().isoformat()
                    if not count_question(conn, scope, day, settings.article_daily_cap):
                        wait = seconds_to_midnight(now)
                        raise RateLimitedError(cap_message(scope, settings.article_daily_cap, wait), wait)

    def take_rating(self, client: str, now: float | None = None) -> None:
        """Spend one of ``client``'s :attr:`ratings` tokens, or raise :class:`RateLimitedError` (none with no rate limit)."""
        if not self.settings.rate_limit:
            return
        with self.database.usable():
            engine = self.database.engine
            key = self.clients.key(engine, client)
            with db.writing(engine) as conn:
                wait = self.ratings.take(conn, key, time.time() if now is None else now)
        if wait is not None:
            raise RateLimitedError(rating_message(wait), wait)

    def login_failed(self, client: str, now: float | None = None) -> None:
        """Count a wrong admin token from ``client`` (a raw address) in its :data:`LOGIN_BUCKET`."""
        with self.database.usable():
            key = self.clients.key(self.database.engine, client)
            with db.writing(self.database.engine) as conn:
                LOGIN_BUCKET.take(conn, key, time.time() if now is None else now)

    def login_wait(self, client: str, now: float | None = None) -> int:
        """Seconds before ``client`` may try an admin token again (0: now): :data:`LOGIN_FAILURES` wrong
        ones at once, then one every ``LOGIN_WINDOW_S / LOGIN_FAILURES`` seconds."""
        with self.database.usable():
            key = self.clients.key(self.database.engine, client)
            with self.database.engine.connect() as conn:
                return LOGIN_BUCKET.wait(conn, key, time.time() if now is None else now)


def take_token(conn: Connection, key: str, *, per_minute: float, burst: int, now: float) -> int | None:
    """Spend one token of ``key``'s bucket; ``None`` when spent, else the seconds until one is there.

    The bucket holds at most ``burst`` tokens and refills at ``per_minute`` a minute; a new bucket
    starts full. ``now`` is epoch seconds; a clock behind the bucket's (another worker's) refills nothing."""
    rate = per_minute / 60
    b = rate_buckets.c
    elapsed = case((b.updated < now, now - b.updated), else_=0.0)
    level = b.tokens + elapsed * rate
    refilled = case((level > burst, float(burst)), else_=level)
    stmt = (
        insert(conn, rate_buckets)
        .values(key=key, tokens=float(burst - 1), updated=now)
        .on_conflict_do_update(
            index_elements=[b.key],
            set_={"tokens": refilled - 1, "updated": case((b.updated < now, now), else_=b.updated)},
            where=refilled >= 1,
        )
        .returning(b.tokens)
    )
    if conn.execute(stmt).first() is not None:
        return None
    return max(1, token_wait(conn, key, per_minute=per_minute, burst=burst, now=now))


def token_wait(conn: Connection, key: str, *, per_minute: float, burst: int, now: float) -> int:
    """Seconds until ``key``'s bucket has a token (0: it has one now), spending nothing."""
    rate = per_minute / 60
    row = conn.execute(select(rate_buckets.c.tokens, rate_buckets.c.updated).where(rate_buckets.c.key == key)).first()
    if row is None:
        return 0
    current = min(float(burst), row.tokens + max(0.0, now - row.updated) * rate)
    return 0 if current >= 1 else max(1, math.ceil((1 - current) / rate))


def count_question(conn: Connection, scope: str, day: str, cap: int) -> bool:
    """Count one question of ``scope`` on ``day``; False (and nothing counted) when it already has ``cap``."""
    c = daily_counts.c
    stmt = (
        insert(conn, daily_counts)
        .values(scope=scope, day=day, count=1)
        .on_conflict_do_update(index_elements=[c.scope, c.day], set_={"count": c.count + 1}, where=c.count < cap)
        .returning(c.count)
    )
    return conn.execute(stmt).first() is not None


def seconds_to_midnight(now: float) -> int:
    """Whole seconds from ``now`` (epoch) to the next midnight UTC, when the daily counts start over."""
    moment = datetime.fromtimestamp(now, UTC)
    midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
    return max(1, math.ceil((midnight - moment).total_seconds()))


def _wait(seconds: int) -> str:
    """"6 seconds", "3 minutes", "5 hours": rounded up, so the reader never comes back too early."""
    if seconds > 90 * 60:
        n, unit = math.ceil(seconds / 3600), "hour"
    elif seconds >= 120:
        n, unit = math.ceil(seconds / 60), "minute"
    else:
        n, unit = seconds, "second"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def rate_message(per_minute: float, retry_after: int) -> str:
    """What a client over its rate limit reads."""
    rate = f"{per_minute:g} question{'' if per_minute == 1 else 's'} a minute"
    return f"You're asking faster than this chat allows ({rate}). Try again in {_wait(retry_after)}."


def rating_message(retry_after: int) -> str:
    """What a client rating answers faster than its ratings' bucket allows reads."""
    return f"You're rating answers faster than this chat allows. Try again in {_wait(retry_after)}."


def cap_message(scope: str, cap: int, retry_after: int) -> str:
    """What a reader of a scope over its daily cap reads."""
    what = "The articles together have" if scope == ALL_SCOPE else "This article has"
    return (f"{what} had {'their' if scope == ALL_SCOPE else 'its'} {cap} question{'s' if cap != 1 else ''} for today; "
            f"asking works again tomorrow (in {_wait(retry_after)}).")
