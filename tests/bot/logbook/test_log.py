"""The question log over SQLite and PostgreSQL: migrations, recording, ratings, pruning, the old feedback import."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.logbook import QuestionRow, client_key
from bot.logbook.db import migrate
from bot.logbook.log import MAX_COMMENT_CHARS
from bot.logbook.schema import metadata, questions, rate_buckets
from index.errors import BackendUnavailableError
from tests.bot.logbook.conftest import answer

pytestmark = pytest.mark.slow


def test_migrating_twice_reaches_head_and_matches_the_schema(make_book):
    engine = make_book().engine
    migrate(engine)  # a second time: nothing to do
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == "0003"
        # the hand-written migration creates exactly the tables the queries use
        assert compare_metadata(context, metadata) == []


def test_a_database_of_the_first_revision_is_upgraded_with_its_rows(database_url, make_book):
    from sqlalchemy import create_engine

    from bot.logbook.db import parse_url

    old = create_engine(parse_url(database_url))
    migrate(old, "0001")  # as the first release left it, with a row
    with old.begin() as conn:
        conn.execute(questions.insert().values(
            asked_at=datetime(2026, 11, 1, tzinfo=UTC), day="2026-11-01", question="q", answer="a", refused=False,
            latency_ms=1.0, client="k", channel="chat", citations="[]"))
    old.dispose()
    book = make_book(log_retention_days=0)
    assert [row.question for row in book.rows()] == ["q"]
    with book.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == "0003" and compare_metadata(context, metadata) == []


def test_record_rows_and_rate(make_book):
    book = make_book()
    first = book.record(question="Where was the summit?", article="alaska", answer=answer(), latency_ms=12.5,
                        client="198.51.100.4", channel="chat")
    refusal = answer("The article doesn't say.", refused=True)
    second = book.record(question="Who won the match?", article=None, answer=refusal, latency_ms=3,
                         client="198.51.100.4", channel="api")
    third = book.record(question="What about the tram?", article=None, answer=answer(article_id="tram"),
                        latency_ms=1, client="198.51.100.9", channel="openai")
    assert isinstance(first, int) and first < second < third

    rows = book.rows()
    assert [r.id for r in rows] == [first, second, third]
    row = rows[0]
    assert isinstance(row, QuestionRow)
    assert row.asked_at.tzinfo is not None and row.asked_at.utcoffset() == timedelta(0)
    assert abs(row.asked_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert row.day == row.asked_at.date().isoformat()
    assert (row.article, row.cited_article, row.question, row.answer) == (
        "alaska", "alaska", "Where was the summit?", "The summit was in Alaska [1].")
    assert (row.refused, row.latency_ms, row.channel, row.liked, row.comment) == (False, 12.5, "chat", None, None)
    assert row.client != "198.51.100.4" and len(row.client) == 32
    assert rows[1].refused and rows[1].cited_article is None and rows[1].article is None
    assert rows[0].client == rows[1].client != rows[2].client

    with book.engine.connect() as conn:
        stored = json.loads(conn.execute(select(questions.c.citations).where(questions.c.id == first)).scalar_one())
    assert stored == [{"n": 1, "article_id": "alaska", "title": "The summit", "text": "The summit was held in Alaska."}]

    # `article` matches the scope asked in or the cited article; `since` the UTC day
    assert [r.id for r in book.rows(article="alaska")] == [first]
    assert [r.id for r in book.rows(article="tram")] == [third]
    assert book.rows(since=datetime.now(UTC).date() + timedelta(days=1)) == []
    assert len(book.rows(since=datetime.now(UTC).date() - timedelta(days=1))) == 3

    assert book.rate(first, True)
    assert book.rate(second, False, "wrong article")
    assert not book.rate(third + 100, True)
    assert not book.rate(third, True, client="198.51.100.4")  # only the client that asked may rate it
    assert book.rate(third, None, client="198.51.100.9")
    liked = {r.id: (r.liked, r.comment) for r in book.rows()}
    assert liked == {first: (True, None), second: (False, "wrong article"), third: (None, None)}


def test_comments_are_trimmed_and_capped(make_book):
    book = make_book()
    row = book.record(question="q", article=None, answer=answer(), latency_ms=1, client="c", channel="embed")

    def comments():
        return book.rows()[0].comment

    book.rate(row, False, "  too vague \n")
    assert comments() == "too vague"
    book.rate(row, True)  # no comment given: the one there stays
    assert comments() == "too vague"
    book.rate(row, False, "x" * (MAX_COMMENT_CHARS + 500))
    assert comments() == "x" * MAX_COMMENT_CHARS
    book.rate(row, False, "   ")
    assert comments() is None


def test_text_no_database_can_hold_is_stored_with_a_replacement_character(make_book):
    book = make_book(article_daily_cap=5)
    book.admit("c", "art\x00icle")  # the daily count's scope too
    row = book.record(question="a\x00b \ud800?", article="art\x00icle", answer=answer(), latency_ms=1, client="c",
                      channel="api")
    assert book.rate(row, False, "bad\x00 \udfff", client="c")
    [logged] = book.rows(article="art\x00icle")
    assert (logged.question, logged.article, logged.comment) == ("a\ufffdb \ufffd?", "art\ufffdicle", "bad\ufffd \ufffd")


def test_record_checks_the_channel(make_book):
    with pytest.raises(ValueError, match="channel"):
        make_book().record(question="q", article=None, answer=answer(), latency_ms=1, client="c", channel="email")


def test_without_logging_nothing_is_recorded_but_the_limits_hold(make_book):
    from index.errors import RateLimitedError

    book = make_book(log_questions=False, rate_limit=10, rate_burst=1)
    assert book.record(question="q", article=None, answer=answer(), latency_ms=1, client="c", channel="chat") is None
    book.admit("192.0.2.1", None, now=1000.0)
    with pytest.raises(RateLimitedError):
        book.admit("192.0.2.1", None, now=1000.0)
    assert book.rows() == []
    assert not book.rate(1, True)


def test_client_hashes_use_the_salt_shared_through_the_database(make_book, tmp_path):
    a, b = make_book(), make_book(data_dir=tmp_path / "other")
    for book in (a, b):
        book.record(question="q", article=None, answer=answer(), latency_ms=1, client="2001:db8:5:6::1", channel="chat")
    first, second = (r.client for r in a.rows())
    assert first == second  # two workers, one salt (made once, kept in the meta table)
    salted = make_book(log_salt="pepper")
    salted.record(question="q", article=None, answer=answer(), latency_ms=1, client="2001:db8:5:6::99", channel="chat")
    today = datetime.now(UTC).date().isoformat().encode("ascii")  # the log's key changes every UTC day
    assert salted.rows()[-1].client == client_key("2001:db8:5:6::1", b"pepper" + today) != first
    assert client_key("2001:db8:5:6::1", b"pepper") != salted.rows()[-1].client  # not the limits' key


def test_the_log_keys_a_client_by_day_and_takes_its_rating_the_next_day(make_book):
    from bot.logbook.schema import questions as table

    book = make_book()
    row = book.record(question="q", article=None, answer=answer(), latency_ms=1, client="192.0.2.7", channel="api")
    key = book.rows()[0].client
    with book.engine.begin() as conn:  # the answer was given yesterday, under yesterday's key
        yesterday = book.clients.logged(book.engine, "192.0.2.7", datetime.now(UTC).date() - timedelta(days=1))
        conn.execute(table.update().values(client=yesterday))
    assert yesterday != key
    assert book.rate(row, True, client="192.0.2.7") and not book.rate(row, True, client="192.0.2.8")
    with book.engine.begin() as conn:  # two days ago: too late to rate
        old = book.clients.logged(book.engine, "192.0.2.7", datetime.now(UTC).date() - timedelta(days=2))
        conn.execute(table.update().values(client=old))
    assert not book.rate(row, False, client="192.0.2.7")


def _feedback_line(ts: datetime, question: str, liked: bool, **extra) -> str:
    entry = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "liked": liked, "question": question, "answer": f"About {question}",
             "citations": [{"n": 1, "article_id": "alaska", "title": "T", "text": "passage", "start": 0, "end": 7, "score": 0.5}],
             "article": None, **extra}
    return json.dumps(entry)


def test_prune_deletes_only_rows_past_retention(make_book, tmp_path):
    book = make_book(log_retention_days=30, rate_limit=10, rate_burst=5)
    now = datetime.now(UTC)
    old = tmp_path / "old.jsonl"
    old.write_text("\n".join([_feedback_line(now - timedelta(days=45), "old", True),
                              _feedback_line(now - timedelta(days=10), "recent", False)]) + "\n")
    assert book.import_feedback(old) == 2
    book.record(question="new", article=None, answer=answer(), latency_ms=1, client="c", channel="chat")
    book.admit("192.0.2.1", None, now=now.timestamp() - 86_400)  # a bucket idle for a day: full again
    assert book.prune() == 1
    assert [r.question for r in book.rows()] == ["recent", "new"]
    with book.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rate_buckets)).scalar_one() == 0
    assert make_book(log_retention_days=0).prune(now + timedelta(days=3650)) == 0  # 0 keeps them forever
    assert book.prune(now + timedelta(days=31)) == 2


def test_old_feedback_is_imported_once(make_book, tmp_path, caplog):
    settings_dir = tmp_path / "data"
    settings_dir.mkdir()
    feedback = settings_dir / "feedback.jsonl"
    now = datetime.now(UTC).replace(microsecond=0)
    lines = [
        _feedback_line(now - timedelta(days=2), "Where was the summit?", True, refused=False, article="alaska"),
        "{not json",
        json.dumps({"liked": True, "question": "no timestamp", "answer": "a"}),
        _feedback_line(now - timedelta(days=1), "Who is the governor?", False),  # no "refused": False
        "",
        _feedback_line(now, "Anything else?", True, refused=True, citations=[]),
    ]
    feedback.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe broken\n")
    with caplog.at_level(logging.WARNING, logger="bot.logbook"):
        book = make_book(data_dir=settings_dir)
        book.open()  # opening imports it
    assert "skipped 3 malformed line(s)" in caplog.text
    assert not feedback.exists() and not (settings_dir / "feedback.jsonl.imported").exists()  # retention rules its rows
    rows = book.rows()
    assert [(r.question, r.liked, r.refused, r.channel, r.client, r.latency_ms) for r in rows] == [
        ("Where was the summit?", True, False, "import", "", 0.0),
        ("Who is the governor?", False, False, "import", "", 0.0),
        ("Anything else?", True, True, "import", "", 0.0),
    ]
    assert rows[0].asked_at == now - timedelta(days=2) and rows[0].article == "alaska"
    assert rows[0].cited_article == "alaska" and rows[2].cited_article is None
    book.close()

    feedback.write_text(lines[0] + "\n")  # the same file again (say, a worker restarted from a backup)
    again = make_book(data_dir=settings_dir)
    assert again.import_feedback(feedback) == 0
    assert len(again.rows()) == 3


def test_an_unusable_database_is_a_backend_error(database_url, tmp_path):
    from bot.logbook import Logbook
    from bot.settings import Settings

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        (tmp_path / "a-file").write_text("")
        bad = f"sqlite:///{tmp_path}/a-file/log.db"  # its folder cannot be made
    else:
        bad = url.set(password="not-the-password").render_as_string(hide_password=False)
    book = Logbook(Settings(data_dir=tmp_path / "data", database_url=bad))
    with pytest.raises(BackendUnavailableError, match="BOT_DATABASE_URL") as raised:
        book.rows()
    assert "not-the-password" not in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_a_sqlite_database_deleted_or_replaced_under_a_running_bot_is_reported_and_reopened(tmp_path, caplog, monkeypatch):
    import sqlite3

    from bot.logbook import Logbook, database
    from bot.settings import Settings

    monkeypatch.setattr(database, "FILE_CHECK_EVERY", 0.0)  # look on every use, not once a second
    book = Logbook(Settings(data_dir=tmp_path / "data"))
    path = book.settings.data_dir / "newsbot.db"
    book.record(question="Before?", article="alaska", answer=answer(), latency_ms=1, client="198.51.100.4", channel="api")
    for suffix in ("", "-wal", "-shm"):  # deleted by hand while serving
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    with caplog.at_level(logging.ERROR, logger="bot.logbook.database"):
        book.record(question="After?", article="alaska", answer=answer(), latency_ms=1, client="198.51.100.4", channel="api")
    assert "was deleted while the bot was running" in caplog.text
    assert path.is_file()  # the row went to a file that is there, which other processes open too
    with sqlite3.connect(path) as conn:
        assert [q for (q,) in conn.execute("SELECT question FROM questions")] == ["After?"]

    caplog.clear()
    for suffix in ("", "-wal", "-shm"):  # replaced by another file (a restore, another process's new one)
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    sqlite3.connect(path).close()
    with caplog.at_level(logging.ERROR, logger="bot.logbook.database"):
        assert [row.question for row in book.rows()] == []
    assert "was replaced by another file" in caplog.text
    book.close()


def test_many_threads_of_one_process_write_without_waiting_on_sqlite(tmp_path, monkeypatch):
    """One write transaction at a time per process (db._write_locks): SQLite's own wait for its lock polls with
    sleeps, so a server's threads used to sleep while it was free. With no SQLite wait at all (busy_timeout 0),
    none of 16 threads writing at once is refused."""
    import threading

    from sqlalchemy import text

    from bot.logbook import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0)
    engine = db.open_engine(f"sqlite:///{tmp_path / 'busy.sqlite'}")
    with db.writing(engine) as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    failures: list[Exception] = []

    def write() -> None:
        for _ in range(40):
            try:
                with db.writing(engine) as conn:
                    conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
            except Exception as exc:
                failures.append(exc)

    threads = [threading.Thread(target=write) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        assert (failures, conn.execute(text("SELECT count(*) FROM t")).scalar()) == ([], 16 * 40)
