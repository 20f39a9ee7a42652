"""Ingest killed with SIGKILL between any two of its writes to Chroma: the store stays consistent.

A real ``bot ingest`` runs in a subprocess (``tests/index/ingest_killer.py``) on a copy of a
store that holds the seed article; it adds two articles and changes the seed in one batch.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from index.sources import load_sources
from index.transactions import RECORDS
from tests.conftest import OTHER_ARTICLE, SEED_ID, SEED_TEXT

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"
FERRY = """Ferry service resumes after storm

The harbour ferry resumed service on Friday after a three-day suspension caused by the storm, the operator said.

About 4,000 passengers use the ferry every day, according to the operator.
"""


def _snapshot(store) -> tuple[dict, dict]:
    """Article records (less timestamps and revisions) and every passage record, current or not."""
    articles = {
        i: {k: v for k, v in m.items() if k not in {"ingested_at", "rev"}} for i, m in store._article_metas(None).items()
    }
    records = {}
    for kind in RECORDS:
        got = store._collection(kind).get(include=["documents", "metadatas"])
        records[kind] = sorted((m["article_id"], m["start"], m["end"], d) for d, m in zip(got["documents"], got["metadatas"]))
    return articles, records


def _run(kill_at: int, data: Path, source: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.index.ingest_killer", str(kill_at), "--data-dir", str(data), "ingest", str(source)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "batch.jsonl"
    records = [
        {"id": SEED_ID, "title": "Changed", "text": SEED_TEXT.replace("formally welcomed", "formally criticised")},
        {"id": "tram-line", "title": "Tram", "text": OTHER_ARTICLE},
        {"id": "ferry", "title": "Ferry", "text": FERRY},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return path


def test_sigkill_at_every_write_leaves_old_or_new_and_recovers(seed_dir, source, tmp_path):
    clean_dir = tmp_path / "clean"
    shutil.copytree(seed_dir, clean_dir)
    before = _snapshot(NewsBot(Settings(data_dir=seed_dir)).store)
    done = _run(10**6, clean_dir, source)
    assert done.returncode == 0, done.stderr
    writes = int(re.search(r"writes: (\d+)", done.stderr).group(1))
    clean = _snapshot(NewsBot(Settings(data_dir=clean_dir)).store)
    assert writes >= 7 and set(clean[0]) == {SEED_ID, "tram-line", "ferry"}

    for kill_at in range(1, writes + 1):
        data = tmp_path / f"killed-{kill_at}"
        shutil.copytree(seed_dir, data)
        killed = _run(kill_at, data, source)
        assert killed.returncode == -9, (kill_at, killed.stderr)

        bot = NewsBot(Settings(data_dir=data))
        listed = {a["id"] for a in bot.articles()}
        assert SEED_ID in listed and listed <= {SEED_ID, "tram-line", "ferry"}, kill_at
        metas = bot.store._article_metas(None)
        for article_id in listed:  # each article is wholly its old or its new version
            assert metas[article_id] == {**clean[0].get(article_id, {}), **{k: metas[article_id][k] for k in ("ingested_at", "rev")}} or (
                article_id == SEED_ID and metas[article_id]["hash"] == before[0][SEED_ID]["hash"]
            ), kill_at
            data_ = bot.store.article_data(article_id)
            assert len(data_.passages.ids) == metas[article_id]["chunks"], kill_at
            assert len(data_.sentences.texts) == metas[article_id]["sentences"], kill_at
        answer = bot.ask(ALASKA)
        assert not answer.refused and ("welcomed" in answer.answer or "criticised" in answer.answer), kill_at
        if "tram-line" in listed:
            assert "240 million" in bot.ask("How much will the tram line cost?", article="tram-line").answer

        bot.repair()  # no record of an old revision or of no article is left
        articles, records = _snapshot(bot.store)
        for kind in RECORDS:
            owners = [r[0] for r in records[kind]]
            assert set(owners) == set(articles), kill_at
            assert all(owners.count(a) == articles[a][kind] for a in articles), kill_at

        bot.ingest_many(load_sources([str(source)]))  # what `bot ingest` runs, here in-process
        assert _snapshot(bot.store) == clean, kill_at
