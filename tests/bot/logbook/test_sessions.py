"""The editors' sessions and their wrong-token counter, in the shared database (SQLite and PostgreSQL): two
Logbooks on one database are two workers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.logbook.limits import LOGIN_FAILURES, LOGIN_WINDOW_S
from bot.logbook.schema import admin_sessions

pytestmark = pytest.mark.slow


def test_a_session_opened_by_one_worker_is_open_for_another_until_it_is_ended(make_book, tmp_path):
    one, two = make_book(), make_book(data_dir=tmp_path / "other")
    session = one.open_session(3600)
    assert len(session) >= 40 and two.session_open(session)
    other = two.open_session(3600)
    two.end_session(session)  # logging out on one worker ends it on every worker
    assert not one.session_open(session) and not two.session_open(session)
    assert one.session_open(other)
    one.end_session(session)  # twice: nothing left to do
    for wrong in ("", "x", other + "x", "🙂\x00"):
        assert not one.session_open(wrong)
    with one.engine.connect() as conn:  # only a hash of the id is kept
        assert session not in {row.key for row in conn.execute(select(admin_sessions.c.key))}


def test_sessions_expire_and_are_pruned(make_book):
    book = make_book()
    short, long = book.open_session(60), book.open_session(7200)
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert not book.session_open(short, now=later) and book.session_open(long, now=later)
    book.prune(later)
    with book.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(admin_sessions)).scalar_one() == 1


def test_sessions_work_when_questions_are_not_logged(make_book):
    book = make_book(log_questions=False, rate_limit=0)
    session = book.open_session(60)
    assert book.session_open(session)
    book.end_session(session)
    assert not book.session_open(session)


def test_wrong_tokens_are_counted_per_client_for_every_worker(make_book, tmp_path):
    one, two = make_book(rate_limit=0), make_book(data_dir=tmp_path / "other", rate_limit=0)
    now = time.time()  # a worker's start prunes the buckets of long ago
    for i in range(LOGIN_FAILURES):
        assert one.login_wait("2001:db8:7:7::1", now=now) == 0
        (one, two)[i % 2].login_failed(f"2001:db8:7:7::{i + 1:x}", now=now)  # one /64, two workers
    wait = LOGIN_WINDOW_S // LOGIN_FAILURES
    assert one.login_wait("2001:db8:7:7::ff", now=now) == two.login_wait("2001:db8:7:7::1", now=now) == wait
    assert one.login_wait("2001:db8:7:8::1", now=now) == 0 and one.login_wait("192.0.2.1", now=now) == 0
    assert one.login_wait("2001:db8:7:7::1", now=now + wait) == 0  # one more try a minute
    one.login_failed("2001:db8:7:7::1", now=now + wait)
    assert one.login_wait("2001:db8:7:7::1", now=now + wait) == wait
    one.prune(datetime.fromtimestamp(now + LOGIN_WINDOW_S / 2, UTC))  # pruning keeps a bucket that is not full again
    assert one.login_wait("2001:db8:7:7::1", now=now + wait + 1) == wait - 1
