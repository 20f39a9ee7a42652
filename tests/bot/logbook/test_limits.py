"""The abuse limits over SQLite and PostgreSQL: the token bucket, the daily cap, and several processes sharing them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from bot.logbook.db import parse_url
from bot.logbook.limits import seconds_to_midnight
from bot.web.errors import status_of
from index.errors import RateLimitedError

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
NOON = datetime(2025, 6, 1, 12, 0, tzinfo=UTC).timestamp()


def test_token_bucket_bursts_then_limits_then_refills(make_book):
    book = make_book(rate_limit=6, rate_burst=3)  # a token every 10 seconds
    for _ in range(3):
        book.admit("192.0.2.1", "alaska", now=NOON)
    with pytest.raises(RateLimitedError) as limited:
        book.admit("192.0.2.1", "alaska", now=NOON)
    assert limited.value.retry_after == 10 and status_of(limited.value) == 429
    assert str(limited.value) == "You're asking faster than this chat allows (6 questions a minute). Try again in 10 seconds."
    with pytest.raises(RateLimitedError) as limited:
        book.admit("192.0.2.1", None, now=NOON + 4)  # any scope: the bucket is the client's
    assert limited.value.retry_after == 6

    book.admit("192.0.2.2", "alaska", now=NOON)  # another client is unaffected
    book.admit("192.0.2.1", "alaska", now=NOON + 10)  # one token back after 10 s
    with pytest.raises(RateLimitedError):
        book.admit("192.0.2.1", "alaska", now=NOON + 10)
    for _ in range(3):  # a long pause refills the bucket to its burst, not beyond
        book.admit("192.0.2.1", "alaska", now=NOON + 3600)
    with pytest.raises(RateLimitedError):
        book.admit("192.0.2.1", "alaska", now=NOON + 3600)


def test_a_slow_clock_refills_nothing(make_book):
    book = make_book(rate_limit=6, rate_burst=1)
    book.admit("192.0.2.1", None, now=NOON)
    with pytest.raises(RateLimitedError):
        book.admit("192.0.2.1", None, now=NOON - 600)  # another worker's clock, behind


def test_ipv6_clients_share_their_64(make_book):
    book = make_book(rate_limit=1, rate_burst=2)
    book.admit("2001:db8:1:2::1", None, now=NOON)
    book.admit("2001:db8:1:2:aaaa::5", None, now=NOON)
    with pytest.raises(RateLimitedError):
        book.admit("2001:db8:1:2:ffff::9", None, now=NOON)
    book.admit("2001:db8:1:3::1", None, now=NOON)


def test_ratings_are_keyed_like_questions_an_ipv6_client_by_its_64(make_book):
    # issue 22 D7: each address of a /64 had a ratings' bucket of its own (15 ratings each, for ever)
    book = make_book(rate_limit=1, rate_burst=1)  # ratings: 3 a minute, bursts of 3
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:aaaa::5", "2001:db8:1:2::7"):
        book.rate(1, True, client=address)
    with pytest.raises(RateLimitedError, match="rating"):
        book.rate(1, True, client="2001:db8:1:2:ffff::9")  # the same /64
    book.rate(1, True, client="2001:db8:1:3::1")  # another /64 has its own bucket
    for address in ("::ffff:192.0.2.44", "192.0.2.44", "192.0.2.44"):
        book.rate(1, True, client=address)
    with pytest.raises(RateLimitedError):
        book.rate(1, True, client="::ffff:192.0.2.44")  # an IPv4-mapped address is the IPv4 address
    book.admit("2001:db8:1:2::1", None)  # the questions' bucket is another one


def test_daily_cap_per_scope(make_book):
    book = make_book(rate_limit=0, article_daily_cap=2)
    for _ in range(2):
        book.admit("192.0.2.1", "alaska", now=NOON)
        book.admit("192.0.2.1", None, now=NOON)
    with pytest.raises(RateLimitedError) as capped:
        book.admit("192.0.2.9", "alaska", now=NOON)
    assert capped.value.retry_after == 12 * 3600 == seconds_to_midnight(NOON)
    assert str(capped.value) == "This article has had its 2 questions for today; asking works again tomorrow (in 12 hours)."
    with pytest.raises(RateLimitedError, match="The articles together have had their 2 questions"):
        book.admit("192.0.2.1", None, now=NOON)  # all articles: a scope of its own
    book.admit("192.0.2.1", "tram", now=NOON)
    book.admit("192.0.2.1", "alaska", now=NOON + 12 * 3600)  # a new UTC day


def test_the_cap_refusing_costs_no_token(make_book):
    book = make_book(rate_limit=1, rate_burst=2, article_daily_cap=1)
    book.admit("192.0.2.1", "alaska", now=NOON)
    with pytest.raises(RateLimitedError, match="This article"):
        book.admit("192.0.2.1", "alaska", now=NOON)
    book.admit("192.0.2.1", "tram", now=NOON)  # the second token was not spent on the refusal


def _together(mode: str, n: int, env: dict[str, str], processes: int = 2) -> list[str]:
    """Start ``processes`` db_workers, release them at once, return what each printed last."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BOT_")}, **env}
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.bot.logbook.db_worker", mode, str(n)], cwd=ROOT, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, err) in zip(workers, results):
        assert worker.returncode == 0, err
    return [out.split()[-1] for out, _ in results]


def test_two_processes_hammering_one_client_get_exactly_the_burst(database_url, tmp_path):
    # 0.001 a minute: no token comes back during the test, so exactly `burst` may get in
    env = {"BOT_DATABASE_URL": database_url, "BOT_DATA_DIR": str(tmp_path / "data"),
           "BOT_RATE_LIMIT": "0.001", "BOT_RATE_BURST": "25"}
    admitted = _together("admit", 40, env)
    assert sum(int(a) for a in admitted) == 25, admitted


def test_two_processes_migrating_an_empty_database_both_succeed(database_url, tmp_path):
    env = {"BOT_DATABASE_URL": database_url, "BOT_DATA_DIR": str(tmp_path / "data")}
    assert _together("migrate", 0, env) == ["migrated", "migrated"]
    engine = create_engine(parse_url(database_url))
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0003"
    finally:
        engine.dispose()
