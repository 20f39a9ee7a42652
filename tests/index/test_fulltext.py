"""The on-disk BM25 index over every passage (index.fulltext): updated in place, brought in line with the store."""

from __future__ import annotations

import pytest

from index.fulltext import FullTextIndex
from index.records import Spans, StoredArticle

pytestmark = pytest.mark.unit


def article(article_id: str, *passages: str, digest: str = "h1") -> StoredArticle:
    starts = [sum(len(p) + 1 for p in passages[:i]) for i in range(len(passages))]
    spans = Spans.from_rows(list(passages), starts, [s + len(p) for s, p in zip(starts, passages)], [])
    return StoredArticle(article_id, "\n".join(passages), {"title": article_id.title(), "hash": digest, "url": None},
                         Spans.empty(), spans)


TRAM = article("tram", "The council approved a tram line to the harbour.", "It will cost 240 million euros.")
DAM = article("dam", "Engineers inspected the dam after the floods.", "The U.S. agency paid for O'Neil's survey.")


def test_search_ranks_passages_by_their_terms_and_keeps_their_offsets(tmp_path):
    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.add([TRAM, DAM])
    hits = index.search("How much does the tram cost?", 5)
    assert [(h.article_id, h.start) for h in hits][:2] in ([("tram", 49), ("tram", 0)], [("tram", 0), ("tram", 49)])
    first = next(h for h in hits if h.start == 49)
    assert first.text == "It will cost 240 million euros." and first.title == "Tram"
    assert [h.article_id for h in index.search("Who paid for the U.S. survey by O'Neil?", 5)][:1] == ["dam"]
    assert index.search("the of and", 5) == [] and index.search("", 5) == []
    assert index.search('"; DROP TABLE passages; --', 5) == []  # words of no passage, never SQL


def test_add_replaces_an_article_and_sync_brings_the_index_in_line_with_the_store(tmp_path):
    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.add([TRAM, DAM])
    index.add([article("tram", "The tram line was cancelled.", digest="h2")])
    assert [h.text for h in index.search("tram", 5)] == ["The tram line was cancelled."]

    reads = []

    def read(ids):
        reads.append(sorted(ids))
        return [a for a in (TRAM, article("bridge", "A new bridge opened.")) if a.id in ids]

    other = FullTextIndex(tmp_path / "fulltext.sqlite")  # another process, after a third one removed "dam"
    other.sync("g1", lambda: {"tram": "h1", "bridge": "h1"}, read)
    assert reads == [["bridge", "tram"]]
    assert other.search("dam floods", 5) == []
    assert [h.article_id for h in other.search("bridge", 5)] == ["bridge"]
    assert {h.text for h in other.search("tram cost", 5)} == set(TRAM.passages.texts)
    other.sync("g1", dict, read)  # the same generation: not compared again
    assert other.search("bridge", 5)


def test_an_article_s_passages_are_found_by_their_rows_and_an_older_file_is_filled_again(tmp_path):
    """Replacing or removing one article touches its own passages only; a file of the first layout (no
    passage_rows, user_version 0) is emptied on open and filled again by the next sync."""
    import sqlite3

    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.add([TRAM, DAM, article("bridge", "A new bridge opened over the harbour.")])
    index.add([article("tram", "The tram line was cancelled.", digest="h2")])
    index.remove(["dam"])
    assert {h.article_id for h in index.search("tram harbour dam bridge", 10)} == {"tram", "bridge"}
    with sqlite3.connect(tmp_path / "fulltext.sqlite") as db:
        assert db.execute("SELECT count(*) FROM passages").fetchone() == db.execute("SELECT count(*) FROM passage_rows").fetchone() == (2,)

    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as db:  # what the first release wrote
        db.execute("CREATE VIRTUAL TABLE passages USING fts5(body, article_id UNINDEXED, title UNINDEXED, url UNINDEXED, "
                   "start UNINDEXED, end UNINDEXED, text UNINDEXED)")
        db.execute("CREATE TABLE indexed (article_id TEXT PRIMARY KEY, hash TEXT NOT NULL)")
        db.execute("INSERT INTO passages VALUES ('dam', 'dam', 'Dam', NULL, 0, 3, 'Dam.')")
        db.execute("INSERT INTO indexed VALUES ('dam', 'h1')")
    upgraded = FullTextIndex(old)
    upgraded.sync("g1", lambda: {"tram": "h1"}, lambda ids: [TRAM])
    assert {h.article_id for h in upgraded.search("tram dam", 5)} == {"tram"}


def test_a_question_never_waits_for_the_comparison_nor_uses_passages_the_store_no_longer_holds(tmp_path):
    """``wait=False`` on a file that holds articles: the comparison (a read of every article's hash, seconds at
    100,000) runs in a thread of its own; meanwhile ``current`` keeps out the passages of an article removed or
    changed since. The generation compared at is kept in the file: a process started later compares nothing."""
    import threading

    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.add([TRAM, DAM])
    store = {"tram": "h2", "bridge": "h1"}  # another machine changed the tram, removed the dam, added a bridge
    reading, release = threading.Event(), threading.Event()

    def hashes():
        reading.set()
        assert release.wait(30)
        return dict(store)

    def read(ids):
        texts = {"tram": article("tram", "The tram line was cancelled.", digest="h2"), "bridge": article("bridge", "A new bridge opened.")}
        return [texts[i] for i in ids]

    index.sync("g2", hashes, read, wait=False)  # returns at once: the comparison waits in its thread
    assert reading.wait(30)
    current = lambda ids: {i: store[i] for i in ids if i in store}  # noqa: E731
    assert index.search("tram cost dam floods", 5, current=current) == []  # the old tram and the dam: not the store's
    assert {h.article_id for h in index.search("tram cost dam floods", 5)} == {"tram", "dam"}  # unchecked: the file as it is
    index.sync("g2", hashes, read, wait=False)  # one comparison at a time
    release.set()
    index.wait(30)
    assert [h.text for h in index.search("tram bridge", 5, current=current)] == ["The tram line was cancelled.", "A new bridge opened."]

    later = FullTextIndex(tmp_path / "fulltext.sqlite")
    later.sync("g2", lambda: pytest.fail("compared again at the generation the file was compared at"), read, wait=False)
    assert later.wait(1) is None and later.search("bridge", 5)


def test_an_empty_file_is_filled_before_the_question_searches_it(tmp_path):
    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.sync("g1", lambda: {"tram": "h1"}, lambda ids: [TRAM], wait=False)
    assert [h.article_id for h in index.search("tram", 5)] == ["tram"]


def test_an_ingest_moves_the_compared_generation_on_with_the_articles_it_adds(tmp_path):
    """The commit hook's generations (before and after its batch alone): a file in line at the first is in line
    at the second, so no process compares it again; a file not in line at the first is left to compare."""
    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.sync("g1", lambda: {"tram": "h1"}, lambda ids: [TRAM])
    index.add([article("bridge", "A new bridge opened.")], moved=("g1", "g2"))
    later = FullTextIndex(tmp_path / "fulltext.sqlite")
    later.sync("g2", lambda: pytest.fail("compared although the ingest moved the file on"), None, wait=False)
    assert [h.article_id for h in later.search("bridge", 5)] == ["bridge"]
    index.remove(["bridge"], moved=("g2", "g3"))  # a removal moves it on too
    FullTextIndex(tmp_path / "fulltext.sqlite").sync("g3", lambda: pytest.fail("compared after a removal"), None, wait=False)
    assert later.search("bridge", 5) == []

    index.add([DAM], moved=("g-other", "g4"))  # the file was not in line at the batch's first generation
    compared = []
    later.sync("g4", lambda: compared.append(1) or {"tram": "h1", "bridge": "h1", "dam": "h1"}, lambda ids: [])
    assert compared == [1]


def test_a_file_in_line_at_the_caller_s_generation_is_searched_without_a_lookup_and_gives_its_hashes(tmp_path):
    """A file compared at the generation the caller last read holds the store's text then: ``current`` (a request
    to a Chroma server) is not called, and each hit carries its article's hash. At any other generation it is
    called, and a hit of text the store no longer holds is dropped; unchecked hits carry no hash."""
    index = FullTextIndex(tmp_path / "fulltext.sqlite")
    index.sync("g1", lambda: {"tram": "h1", "dam": "h1"}, lambda ids: [TRAM, DAM])
    hits = index.search("tram dam", 5, current=lambda ids: pytest.fail(f"looked up {ids} in line"), generation="g1")
    assert {(h.article_id, h.content_hash) for h in hits} == {("tram", "h1"), ("dam", "h1")}
    asked = []
    hits = index.search("tram dam", 5, current=lambda ids: asked.append(ids) or {"dam": "h1"}, generation="g2")
    assert asked == [["dam", "tram"]] and {(h.article_id, h.content_hash) for h in hits} == {("dam", "h1")}
    assert {h.content_hash for h in index.search("tram dam", 5, generation="g2")} == {""}
