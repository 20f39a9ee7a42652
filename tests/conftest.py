"""Shared fixtures: every path under tmp_path, the real model loaded once per session."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bot.chain import NewsBot
from bot.settings import BUNDLED_ARTICLES, Settings
from index.testing import LiveServer, free_port, start_chroma  # noqa: F401  (tests import them from here)

#: The suite asks hundreds of questions from one address: no rate limit, unless a test sets one (the limits'
#: own tests do). Set here, not only per test, because module- and session-scoped servers start before
#: the per-test environment below.
os.environ["BOT_RATE_LIMIT"] = "0"

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_ID = "india-russia-kalmykia-alaska"
SEED_TEXT = (BUNDLED_ARTICLES / f"{SEED_ID}.txt").read_text(encoding="utf-8")
#: ``../shared/eval/dev.jsonl`` if present, else the copy in tests/data.
DEV_PATH = next(p for p in (SHARED / "eval" / "dev.jsonl", Path(__file__).parent / "data" / "dev.jsonl") if p.is_file())


def dev_set() -> list[dict]:
    return [json.loads(line) for line in DEV_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def passes(answer: str, expect: list[list[str]]) -> bool:
    return all(any(s.lower() in answer.lower() for s in group) for group in expect)


#: What a ``unit`` test may not do: each loader is replaced, for the test, by one that fails naming it.
_HEAVY = {
    "index.embeddings._load": "load the sentence-transformers model",
    "index.onnx_embeddings._load": "load the ONNX embedder",
    "index.onnx_embeddings.export_onnx": "export the embedder to ONNX",
    "index.onnx_sessions.cpu_session": "open an onnxruntime session",
    "index.onnx_sessions.optimized_copy": "optimise an ONNX model",
    "bot.extractive.words._wordllama": "load WordLlama",
    "bot.reader.model.Reader._load": "load the reader model",
    "index.store.ArticleStore._connect": "open a Chroma store",
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: `pytest -m unit` must not quietly skip an unmarked test
def pytest_collection_modifyitems(config, items):
    """Every test is exactly one of ``unit`` (loads no model, opens no real store, starts no server) and
    ``slow`` (everything else), by its own, its class's or its module's ``pytestmark``."""
    wrong = []
    for item in items:
        kinds = sorted({mark.name for mark in item.iter_markers()} & {"unit", "slow"})
        if len(kinds) != 1:
            wrong.append(f"  {item.nodeid}: {' and '.join(kinds) or 'neither'}")
    if wrong:
        raise pytest.UsageError(
            f"{len(wrong)} test(s) must be marked either @pytest.mark.unit or @pytest.mark.slow (exactly one; "
            "see pyproject.toml's markers):\n" + "\n".join(wrong)
        )


@pytest.fixture(autouse=True)
def _unit_stays_light(request, monkeypatch):
    """A ``unit`` test that loads a model or opens a store fails, saying which, rather than running slowly."""
    if request.node.get_closest_marker("unit") is None:
        return
    for target, what in _HEAVY.items():

        def refuse(*args, what=what, **kwargs):
            raise AssertionError(f"a unit test may not {what}: use tests/fakes.py, or mark the test slow")

        monkeypatch.setattr(target, refuse)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the user's real data dir or settings. The model cache (``BOT_MODEL_CACHE``, else the per-user
    default) is kept: every test's data dir shares the embedder's export that `make install` made, so the suite
    does not export it again."""
    for key in list(os.environ):
        if key.startswith("BOT_") and key != "BOT_MODEL_CACHE":
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    # the suite asks hundreds of questions from one address; the limits' own tests set them
    monkeypatch.setenv("BOT_RATE_LIMIT", "0")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """A data dir holding the seed article, ingested once with the real model."""
    data = tmp_path_factory.mktemp("seed") / "data"
    NewsBot(Settings(data_dir=data)).ingest_bundled()
    return data


@pytest.fixture
def seed_bot(seed_dir, tmp_path) -> NewsBot:
    """A bot over a private copy of the seeded index."""
    data = tmp_path / "seeded"
    shutil.copytree(seed_dir, data)
    return NewsBot(Settings(data_dir=data))


OTHER_ARTICLE = """City council approves new tram line

The city council voted 31 to 12 on Tuesday to approve a new tram line linking the harbour to the university.

Construction is expected to start in March and cost 240 million euros, the mayor said.
"""


@pytest.fixture(scope="session")
def live(seed_dir, tmp_path_factory):
    """A served bot over the seed article plus a second, unrelated one; framing allowed for one test origin."""
    data = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(seed_dir, data)
    page_port = free_port()
    bot = NewsBot(Settings(data_dir=data, embed_origins=[f"http://127.0.0.1:{page_port}"], rate_limit=0))
    other = tmp_path_factory.mktemp("other") / "tram-line.txt"
    other.write_text(OTHER_ARTICLE, encoding="utf-8")
    bot.ingest_file(other)
    with LiveServer(bot, free_port()) as server:
        server.page_port = page_port
        yield server


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """(host, port) of a Chroma server: the one `make test` started (.ci/services) (NEWSBOT_TEST_CHROMA=host:port), else our own."""
    import os

    given = os.environ.get("NEWSBOT_TEST_CHROMA")
    if given:
        host, port = given.rsplit(":", 1)
        yield host, int(port)
        return
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    yield "127.0.0.1", port
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(params=["embedded", "server"])
def backend(request) -> dict:
    """Settings that put the store in an embedded Chroma or on the Chroma server, in a fresh collection."""
    import uuid

    if request.param == "embedded":
        return {}
    host, port = request.getfixturevalue("chroma_server")
    return {"chroma_host": host, "chroma_port": port, "collection": f"t{uuid.uuid4().hex[:12]}"}


# ---- the question log's databases (bot/logbook) ------------------------------------------------
# A block of its own: the fixtures above and below belong to other parts of the bot.


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The URL of an empty database for the question log, once per backend.

    SQLite: a file under tmp_path. PostgreSQL: a database made for this test (and dropped after it)
    on the server ``NEWSBOT_TEST_DATABASE_URL`` names, e.g.
    postgresql://newsbot:newsbot@127.0.0.1:5432/newsbot, whose role may CREATEDB (`make test` sets one
    up). Without it the PostgreSQL run is skipped, except in CI (``CI`` set), where that fails."""
    import os
    import uuid

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/log.db"
        return
    server = os.environ.get("NEWSBOT_TEST_DATABASE_URL")
    if not server:
        reason = "NEWSBOT_TEST_DATABASE_URL is not set: the question log's PostgreSQL tests need a server (`make test` starts one)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from bot.logbook.db import parse_url

    url = parse_url(server)
    name = f"t{uuid.uuid4().hex}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:  # FORCE: a test that failed may have left connections open
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---- end of the question log's block -------------------------------------------------------------
