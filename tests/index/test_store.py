"""Store behaviour with a deterministic fake embedder (a real LangChain Embeddings subclass)."""

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from index.errors import EmptyIndexError, UnknownArticleError
from index.loader import Article
from index.store import ArticleStore

pytestmark = pytest.mark.slow  # a real Chroma store, embedded or a server

TEXT = "\n\n".join(f"Paragraph {i} says that event {i} happened in city {i}. It was notable." for i in range(30))


@pytest.fixture
def store(tmp_path, backend):
    """The same tests run on the embedded store and on a real `chroma run` server."""
    return _store(tmp_path, backend)


def _store(tmp_path, backend):
    return ArticleStore(
        DeterministicFakeEmbedding(size=32),
        tmp_path / "data",
        collection=backend.get("collection", "news"),
        chunk_size=200,
        chunk_overlap=20,
        host=backend.get("chroma_host"),
        port=backend.get("chroma_port", 8000),
    )


def _ids(store, kind, article_id):
    return sorted(store._store(kind)._collection.get(where={"article_id": article_id}, include=[])["ids"])


def test_reingest_is_idempotent(store):
    article = Article("a1", "Title", TEXT)
    first = store.ingest(article)
    before = _ids(store, "chunks", "a1")
    second = store.ingest(article)
    assert (first.status, second.status) == ("added", "unchanged")
    assert _ids(store, "chunks", "a1") == before and len(before) == first.chunks
    assert len(store.article_data("a1").sentences.texts) == first.sentences
    assert store.count() == 1 and store.some_ids(5) == ["a1"] and store.some_ids(0) == []
    assert store.content_hashes(["a1", "nope"]) == store.content_hashes() == {"a1": article.content_hash}
    # sentences are made again from the text when asked for, never kept in Chroma (nothing searches them)
    assert f"{store.prefix}_sentences" not in {c.name for c in store.client.list_collections()}


def test_the_commit_hook_gets_the_generations_before_and_after_its_batch(store):
    moved = []
    store.on_commit = lambda records, generations: moved.append(([r.id for r in records], generations))
    before = store.generation()
    store.ingest(Article("a1", "Title", TEXT))
    (ids, (first, last)), = moved
    assert ids == ["a1"] and first == before and last == store.generation() and first != last
    store.on_remove = lambda removed, generations: moved.append((removed, generations))
    store.remove("a1")
    assert moved[1] == (["a1"], (last, store.generation()))


def test_changed_text_leaves_no_stale_chunks(store):
    store.ingest(Article("a1", "Title", TEXT))
    changed = TEXT.replace("city 3", "the capital").rsplit("\n\n", 10)[0]
    result = store.ingest(Article("a1", "Title", changed))
    assert result.status == "updated"
    got = store._store("chunks")._collection.get(where={"article_id": "a1"}, include=["documents", "metadatas"])
    assert len(got["ids"]) == result.chunks
    for text, meta in zip(got["documents"], got["metadatas"]):
        assert changed[meta["start"] : meta["end"]] == text
    assert not any("city 3." in t for t in got["documents"])
    assert store.article_text("a1") == changed
    sentences = store.article_data("a1").sentences
    assert len(sentences.texts) == result.sentences == len(sentences.vecs)
    assert all(changed[a:b] == text for text, a, b in zip(sentences.texts, sentences.starts, sentences.ends))


def test_other_articles_untouched_and_remove(store):
    store.ingest(Article("a1", "One", TEXT))
    store.ingest(Article("a2", "Two", TEXT.replace("city", "town")))
    kept = _ids(store, "chunks", "a2")
    store.remove("a1")
    assert _ids(store, "chunks", "a1") == []
    assert _ids(store, "chunks", "a2") == kept
    assert [a["id"] for a in store.articles()] == ["a2"]
    with pytest.raises(UnknownArticleError):
        store.remove("a1")


def test_persistent_across_instances(store, tmp_path, backend):
    store.ingest(Article("a1", "One", TEXT))
    again = _store(tmp_path, backend)
    assert [a["id"] for a in again.articles()] == ["a1"]


def test_require_reports_empty_index(store):
    with pytest.raises(EmptyIndexError, match="bot ingest"):
        store.require()


def test_generation_changes_on_every_write(store):
    before = store.generation()
    store.ingest(Article("a1", "One", TEXT))
    middle = store.generation()
    store.ingest(Article("a1", "One", TEXT))  # unchanged: no write
    assert store.generation() == middle != before
    store.remove("a1")
    assert store.generation() != middle


def test_unreachable_server_is_a_clear_error_and_recovers(tmp_path):
    from index.errors import BackendUnavailableError
    from tests.conftest import free_port, start_chroma

    port = free_port()
    store = _store(tmp_path, {"chroma_host": "127.0.0.1", "chroma_port": port})
    with pytest.raises(BackendUnavailableError, match=f"cannot reach the Chroma server at 127.0.0.1:{port}"):
        store.count()
    proc = start_chroma(tmp_path / "server", port)
    try:
        store.ingest(Article("a1", "One", TEXT))
        assert store.count() == 1
        proc.terminate()
        proc.wait(timeout=30)
        with pytest.raises(BackendUnavailableError, match="cannot reach"):
            store.articles()
        proc = start_chroma(tmp_path / "server", port)
        assert [a["id"] for a in store.articles()] == ["a1"]  # the server kept its data; the store reconnected
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_listing_reads_in_pages(store):
    """More records than one page: every one comes back once (SQLite limits one read's variables)."""
    from index.store import _get_all

    for i in range(5):
        store.ingest(Article(f"a{i}", f"T{i}", TEXT))
    chunks = store._store("chunks")._collection
    got = _get_all(chunks, ["metadatas"], page=7)
    assert len(got["ids"]) == len(set(got["ids"])) == chunks.count() > 7
    assert [a["id"] for a in store.articles()] == [f"a{i}" for i in range(5)]


def test_more_records_than_one_chroma_batch(tmp_path, backend):
    """Chroma refuses a batch over its maximum (5,461 here): writes are split to the size it reports."""
    store = ArticleStore(DeterministicFakeEmbedding(size=8), tmp_path / "data", collection=backend.get("collection", "news"),
                         chunk_size=24, chunk_overlap=0, host=backend.get("chroma_host"), port=backend.get("chroma_port", 8000))
    text = " ".join(f"Event {i} happened." for i in range(store.client.get_max_batch_size() + 100))
    result = store.ingest(Article("long", "Long", text))
    assert result.chunks > store.client.get_max_batch_size()
    assert len(store.article_data("long").passages.ids) == result.chunks
    store.remove("long")
    assert store._collection("chunks").count() == 0


def test_an_id_repeated_in_a_later_batch_is_stored_as_one_at_a_time_would(store):
    """Batches are split ahead of their writes: a later batch's article compares with an earlier one not written yet."""
    first, other = Article("a1", "One", TEXT), Article("a2", "Two", TEXT.replace("city", "town"))
    changed = Article("a1", "One", TEXT.rsplit("\n\n", 5)[0])
    results = store.ingest_many([first, other, first, changed, other], batch_articles=1)
    assert [r.status for r in results] == ["added", "added", "unchanged", "updated", "unchanged"]
    assert (results[2].chunks, results[2].sentences) == (results[0].chunks, results[0].sentences)
    assert store.article_text("a1") == changed.text
    assert len(_ids(store, "chunks", "a1")) == results[3].chunks
    assert len(store.article_data("a1").sentences.texts) == results[3].sentences


def test_repair_removes_leftovers_and_reindexes_incomplete_articles(store):
    store.ingest(Article("a1", "One", TEXT))
    store.ingest(Article("a2", "Two", TEXT.replace("city", "town")))
    chunks = store._collection("chunks")
    chunks.add(ids=["ghost"], documents=["ghost"], metadatas=[{"article_id": "gone", "start": 0, "end": 5, "rev": "x"}],
               embeddings=[[0.1] * 32])
    victim = _ids(store, "chunks", "a2")[0]
    chunks.delete(ids=[victim])
    report = store.repair()
    assert report.removed == 1 and report.reindexed == ["a2"]
    assert _ids(store, "chunks", "gone") == []
    assert len(store.article_data("a2").passages.ids) == store._article_metas(["a2"])["a2"]["chunks"]
    assert store.repair() == type(report)(0, 0, [])


def test_a_dead_writers_marker_is_cleaned_by_the_next_writer(store):
    """What SIGKILL leaves between the first and the last write: a marker and records of an uncommitted revision."""
    store.ingest(Article("a1", "One", TEXT))
    store._mark("deadbeef", ["a1", "new"])
    store._collection("chunks").add(
        ids=["new#0~deadbeef"], documents=["x"], metadatas=[{"article_id": "new", "start": 0, "end": 1, "rev": "deadbeef"}],
        embeddings=[[0.1] * 32],
    )
    assert [a["id"] for a in store.articles()] == ["a1"]
    assert all(p.article_id == "a1" for p in store.search([0.1] * 32, 50))
    assert store.recover() == 1
    assert _ids(store, "chunks", "new") == [] and not store._markers()


def test_serve_start_up_does_not_wait_for_a_busy_writer(tmp_path):
    from index.transactions import WriterBusy

    store, other = _store(tmp_path, {}), _store(tmp_path, {})
    store.ingest(Article("a1", "One", TEXT))
    with other.lock.hold():  # another writer (a separate open of the lock file: flock conflicts as between processes)
        assert store.recover(wait=False) == 0
        with pytest.raises(WriterBusy, match="writing"):
            store.lock.timeout = 0.2
            store.remove("a1")
    store.remove("a1")
    assert store.count() == 0


def test_the_next_writer_drops_an_older_release_s_sentence_records(store):
    """Older releases kept one Chroma record per sentence; nothing reads them now, so the next write drops them."""
    store.ingest(Article("a1", "One", TEXT))
    legacy = store.client.get_or_create_collection(f"{store.prefix}_sentences", embedding_function=None)
    legacy.add(ids=["a1@0-x~old"], documents=["Paragraph 0 says."], metadatas=[{"article_id": "a1", "start": 0, "end": 17}],
               embeddings=[[0.1] * 32])
    again = _store_like(store)
    assert len(again.article_data("a1").sentences.texts) > 1  # reading never touches them
    assert f"{store.prefix}_sentences" in {c.name for c in again.client.list_collections()}
    again.ingest(Article("a2", "Two", TEXT.replace("city", "town")))
    assert f"{store.prefix}_sentences" not in {c.name for c in again.client.list_collections()}
    assert [a["id"] for a in again.articles()] == ["a1", "a2"]


def _store_like(store):
    return ArticleStore(store.embeddings, store.data_dir, collection=store.prefix, chunk_size=store.chunk_size,
                        chunk_overlap=store.chunk_overlap, host=store.host, port=store.port)


#: another process's ingest of article ``a2`` into the data dir ``argv[1]`` (the same embedder and chunking as ``_store``)
_WRITE_A2 = """
import sys
from langchain_core.embeddings import DeterministicFakeEmbedding
from index.loader import Article
from index.store import ArticleStore
store = ArticleStore(DeterministicFakeEmbedding(size=32), sys.argv[1], chunk_size=200, chunk_overlap=20)
store.ingest(Article("a2", "Two", sys.argv[2]))
"""


def test_a_reader_answers_from_its_view_while_a_fresh_one_loads_after_another_process_s_ingest(tmp_path):
    """Embedded: after another process's ingest, a reader's next read starts loading a fresh view (Chroma's
    vector index, seconds at 100,000 articles) in a thread of its own and reads the view it has meanwhile, which
    holds none of the new vectors; the fresh view then takes its place and finds the new article."""
    import subprocess
    import sys
    from pathlib import Path

    from index import systems

    reader = _store(tmp_path, {})
    reader.ingest(Article("a1", "One", TEXT))
    query = reader.embeddings.embed_query("event 3 happened in town 3")
    assert {p.article_id for p in reader.search(query, 50)} == {"a1"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", _WRITE_A2, str(tmp_path / "data"), TEXT.replace("city", "town")],
                   cwd=root, check=True, timeout=120)
    reader._synced = float("-inf")  # its next read looks at the generation at once (else within a second)
    old = reader._client
    assert {p.article_id for p in reader.search(query, 50)} <= {"a1", "a2"}
    assert reader._loading is not None and reader._loading.name == "chroma-reload"
    reader._loading.join(60)
    assert reader._client is not old and reader._fading is None and systems.is_current(reader._client)
    assert reader._seen == reader.generation()
    assert {p.article_id for p in reader.search(query, 50)} == {"a1", "a2"}
