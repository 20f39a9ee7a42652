"""The question log's pure parts: client keys, URLs, messages, reading the old feedback file."""

from __future__ import annotations

import json

import pytest

from bot.logbook import client_key
from bot.logbook.db import _hide_password, masked, parse_url
from bot.logbook.legacy import parse_feedback
from bot.logbook.limits import cap_message, rate_message, seconds_to_midnight
from index.errors import BackendUnavailableError

pytestmark = pytest.mark.unit
SALT = b"s" * 32


def test_client_key_hides_the_address():
    key = client_key("198.51.100.4", SALT)
    assert key != "198.51.100.4" and "198.51.100.4" not in key
    assert len(key) == 32 and int(key, 16) >= 0
    assert key == client_key("198.51.100.4", SALT) != client_key("198.51.100.4", b"t" * 32)
    assert key != client_key("198.51.100.5", SALT)


def test_client_key_groups_ipv6_by_64():
    same = {client_key(a, SALT) for a in ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:DB8:1:2:0::7")}
    assert len(same) == 1
    assert client_key("2001:db8:1:3::1", SALT) not in same
    assert client_key("::ffff:198.51.100.4", SALT) == client_key("198.51.100.4", SALT)  # IPv4-mapped
    assert client_key("testclient", SALT) != "testclient" and len(client_key("testclient", SALT)) == 32


def test_postgres_urls_use_psycopg_and_others_are_refused():
    assert parse_url("postgres://u:pw@db/news").drivername == "postgresql+psycopg"
    assert parse_url("postgresql://u:pw@db/news").drivername == "postgresql+psycopg"
    assert parse_url("sqlite:////tmp/x.db").drivername == "sqlite"
    assert "pw" not in masked(parse_url("postgresql://u:pw@db/news"))
    with pytest.raises(BackendUnavailableError, match="BOT_DATABASE_URL"):
        parse_url("mysql://u:pw@db/news")
    with pytest.raises(BackendUnavailableError, match="BOT_DATABASE_URL"):
        parse_url("not a url")


@pytest.mark.parametrize("password", ["p", "p@ss"])
def test_a_password_is_hidden_only_where_it_stands_as_one(password):
    words = 'connection to server at "127.0.0.1", port 1 failed: Connection refused (accepting TCP/IP)'
    assert _hide_password(words, password) == words  # "p" in "port" is not the password
    shown = f"postgresql://u:{password}@h/x, postgresql+psycopg://u:{password.replace('@', '%40')}@h/x, password={password}"
    assert _hide_password(shown, password) == "postgresql://u:***@h/x, postgresql+psycopg://u:***@h/x, password=***"


def test_messages_say_when_to_come_back():
    assert rate_message(10, 6) == "You're asking faster than this chat allows (10 questions a minute). Try again in 6 seconds."
    assert rate_message(1, 61) == "You're asking faster than this chat allows (1 question a minute). Try again in 61 seconds."
    assert rate_message(0.5, 150).endswith("Try again in 3 minutes.")
    assert cap_message("alaska", 500, 5 * 3600 - 30) == (
        "This article has had its 500 questions for today; asking works again tomorrow (in 5 hours).")
    assert seconds_to_midnight(86_400 * 3 - 1) == 1


def test_old_feedback_lines_become_rows_and_bad_ones_are_counted():
    good = {"ts": "2025-05-01T10:00:00Z", "liked": False, "question": "q", "answer": "a", "article": None,
            "citations": [{"n": 1, "article_id": "x", "title": "T", "text": "t", "score": 0.1}]}
    bad = [b"[1, 2]", b"{}", json.dumps({**good, "liked": "yes"}).encode(), json.dumps({**good, "ts": "May 1"}).encode()]
    rows, malformed = parse_feedback(b"\n".join([json.dumps(good).encode(), b"  ", *bad]))
    assert malformed == len(bad) and len(rows) == 1
    row = rows[0]
    assert (row["day"], row["cited_article"], row["refused"], row["channel"], row["client"]) == ("2025-05-01", "x", False, "import", "")
    assert json.loads(row["citations"]) == [{"n": 1, "article_id": "x", "title": "T", "text": "t"}]


def test_every_rate_limit_is_a_bucket_and_knows_when_it_is_full_again(tmp_path):
    from bot.logbook import Logbook
    from bot.logbook.limits import FEEDBACK_SHARE, LOGIN_BUCKET, LOGIN_FAILURES, LOGIN_WINDOW_S
    from bot.settings import Settings

    book = Logbook(Settings(data_dir=tmp_path / "data", rate_limit=6, rate_burst=3))
    questions, ratings, login = book.limits.buckets
    assert (questions.per_minute, questions.burst) == (6, 3) and questions.full_after == 30
    assert (ratings.per_minute, ratings.burst) == (6 * FEEDBACK_SHARE, 3 * FEEDBACK_SHARE) and ratings.full_after == 30
    assert login is LOGIN_BUCKET and login.burst == LOGIN_FAILURES and login.full_after == LOGIN_WINDOW_S
    assert book.limits.questions.prefix != book.limits.ratings.prefix != login.prefix
    book.settings.rate_limit = 0  # no limit: a bucket that is always full
    assert book.limits.questions.full_after == 0


def test_the_logbook_is_its_jobs_over_one_database_and_opens_nothing_when_built(tmp_path):
    from bot.logbook import Logbook
    from bot.settings import Settings

    book = Logbook(Settings(data_dir=tmp_path / "data"))
    jobs = (book.log, book.limits, book.ratings, book.retention, book.sessions, book.legacy, book.cache)
    assert all(job.database is book.database for job in jobs)
    assert not (tmp_path / "data").exists()  # the database is made on first use (open())
