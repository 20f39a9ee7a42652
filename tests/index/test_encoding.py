"""Ingest's encoder: runs of like length over worker threads, and where it encodes (BOT_DEVICE)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from bot.settings import Settings, default_model_path
from index.embeddings import LazyEmbeddings
from index.encoding import CPU_RUN, ONNX_RUN, Encoder, gpu_visible, ingest_encoder, resolve_device, runs
from index.errors import BackendUnavailableError
from index.loader import Article
from index.onnx_embeddings import OnnxEmbeddings
from index.store import ArticleStore
from tests.conftest import SEED_TEXT
from tests.fakes import FakeTokenEmbeddings

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["The council voted.", "A", "Construction starts in March, the mayor said.", "It rained.", "", "Who won the cup?", "Yes."]


class FailingEmbeddings(FakeTokenEmbeddings):
    """The fake embedder, failing on any run that holds the text "boom"."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if "boom" in texts:
            raise RuntimeError("the model failed")
        return super().embed_documents(texts)


@pytest.mark.unit
def test_runs_are_longest_first_and_hold_every_text_once():
    assert runs(["bb", "a", "dddd", "cc", "eee"], 2) == [[2, 4], [0, 3], [1]]  # "bb" before "cc": ties keep their order
    assert runs([], 16) == []
    assert sorted(i for run in runs(TEXTS, 3) for i in run) == list(range(len(TEXTS)))
    with pytest.raises(ValueError):
        runs(TEXTS, 0)


@pytest.mark.unit
@pytest.mark.parametrize("workers", [1, 3])
def test_the_encoder_gives_the_vectors_in_the_texts_order(workers):
    fake = FakeTokenEmbeddings()
    with Encoder(fake, workers=workers, run_size=2) as encoder:
        first, second = encoder.submit(TEXTS), encoder.submit(TEXTS[:1])
        assert first.result() == fake.embed_documents(TEXTS)
        assert second.result() == fake.embed_documents(TEXTS[:1])
        assert encoder.submit([]).result() == []


@pytest.mark.unit
def test_a_failed_run_raises_where_the_vectors_are_asked_for():
    with Encoder(FailingEmbeddings(), workers=2, run_size=1) as encoder:
        pending = encoder.submit(["fine", "boom"])
        with pytest.raises(RuntimeError, match="the model failed"):
            pending.result()
    with pytest.raises(ValueError):
        Encoder(FakeTokenEmbeddings(), workers=0)


@pytest.mark.unit
def test_the_onnx_embedder_gets_workers_that_share_the_cores(tmp_path):
    cores = os.cpu_count() or 1
    onnx = OnnxEmbeddings("some-model", tmp_path, quantized=True, threads=cores)
    two = ingest_encoder(onnx, workers=2, device="cpu")
    assert two.workers == 2 and two.run_size == ONNX_RUN
    assert isinstance(two.embeddings, OnnxEmbeddings) and two.embeddings.threads == max(1, cores // 2)
    assert two.embeddings.quantized and two.embeddings.cache_dir == tmp_path and not two.embeddings.loaded
    one = ingest_encoder(onnx, workers=1, device="cpu")
    assert one.embeddings is onnx  # its own threads already: the same sessions
    assert one.run_size == ONNX_RUN  # the same runs whatever the workers, so the same vectors
    per_core = ingest_encoder(onnx, workers=0, device="cpu")
    assert per_core.workers == cores and per_core.embeddings.threads == 1 and per_core.run_size == ONNX_RUN
    for other in (LazyEmbeddings("some-model"), FakeTokenEmbeddings()):  # torch spreads a batch over the cores itself
        encoder = ingest_encoder(other, workers=2, device="cpu")
        assert encoder.embeddings is other and encoder.workers == 1 and encoder.run_size == CPU_RUN


@pytest.mark.unit
def test_a_gpu_is_seen_by_its_device_file(tmp_path):
    assert not gpu_visible(tmp_path)
    (tmp_path / "nvidiactl").touch()  # the driver's control file alone: no GPU
    assert not gpu_visible(tmp_path)
    (tmp_path / "nvidia0").touch()
    assert gpu_visible(tmp_path)
    assert resolve_device("cpu") == "cpu"


@pytest.mark.unit
def test_auto_imports_torch_only_on_a_machine_that_shows_a_gpu():
    code = ("import sys; from index.encoding import gpu_visible, resolve_device; device = resolve_device('auto'); "
            "print(device, gpu_visible(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    device, visible, imported = out.stdout.split()
    assert imported == visible  # no device file: torch is never imported
    assert device == "cpu" or visible == "True"


@pytest.mark.unit
def test_the_device_and_workers_settings(monkeypatch):
    assert Settings().device == "auto" and Settings().ingest_workers == 0
    monkeypatch.setenv("BOT_DEVICE", "cuda")
    monkeypatch.setenv("BOT_INGEST_WORKERS", "2")
    assert (Settings().device, Settings().ingest_workers) == ("cuda", 2)
    monkeypatch.setenv("BOT_DEVICE", "gpu")
    with pytest.raises(ValidationError, match="'cpu', 'cuda' or 'auto'"):
        Settings()


@pytest.mark.slow
def test_the_device_follows_what_torch_sees():
    import torch

    gpu = torch.cuda.is_available()
    assert resolve_device("auto") == ("cuda" if gpu else "cpu")
    if gpu:
        assert resolve_device("cuda") == "cuda"
    else:
        with pytest.raises(BackendUnavailableError, match=r"BOT_DEVICE=cuda, but torch \S+ sees no CUDA GPU.*BOT_DEVICE=cpu"):
            resolve_device("cuda")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A cache dir holding the packaged model's int8 export, made once for the module."""
    cache = tmp_path_factory.mktemp("onnx")
    OnnxEmbeddings(default_model_path(), cache, quantized=True).embed_query("export")
    return cache


def _stored(store: ArticleStore, committed: list) -> dict:
    """Every record of ``store`` without its revision and time (ids, texts, metadata and vectors, sorted by id), and
    the sentences its commit hook was handed (kept nowhere in Chroma), as (article, start, text, vector)."""
    kept = {}
    for kind in ("articles", "chunks"):
        got = store._plain(kind).get(include=["documents", "metadatas", "embeddings"])
        kept[kind] = sorted((i.split("~")[0], text, {k: v for k, v in meta.items() if k not in {"rev", "ingested_at"}}, vector.tolist())
                            for i, text, meta, vector in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]))
    kept["sentences"] = sorted((r.id, int(start), text, vector.tolist()) for r in committed
                               for text, start, vector in zip(r.sentences.texts, r.sentences.starts, r.sentences.vecs))
    return kept


@pytest.mark.slow
def test_two_workers_store_what_one_stores(exported, tmp_path):
    paragraphs = [p for p in SEED_TEXT.split("\n\n") if p.strip()]
    articles = [Article("whole", "Whole", SEED_TEXT)] + [Article(f"p{i}", f"Part {i}", p) for i, p in enumerate(paragraphs)]
    onnx = OnnxEmbeddings(default_model_path(), exported, quantized=True, threads=os.cpu_count() or 1)
    stores = [ArticleStore(onnx, tmp_path / f"workers-{n}", chunk_size=300, chunk_overlap=40, workers=n) for n in (1, 2)]
    committed: list[list] = [[], []]
    for store, into in zip(stores, committed):
        store.on_commit = lambda records, moved, into=into: into.extend(records)
    results = [store.ingest_many(articles, batch_articles=3) for store in stores]
    assert results[0] == results[1] and {r.status for r in results[0]} == {"added"} and len(results[0]) == len(articles)
    one, two = _stored(stores[0], committed[0]), _stored(stores[1], committed[1])
    for kind in one:
        assert [row[:3] for row in one[kind]] == [row[:3] for row in two[kind]]
        assert len(one[kind]) == (len(articles) if kind == "articles" else sum(getattr(r, kind) for r in results[0]))
    vectors = [np.asarray([row[3] for kind in ("chunks", "sentences") for row in stored[kind]]) for stored in (one, two)]
    assert np.abs(vectors[0] - vectors[1]).max() < 1e-5  # the same runs: only the sessions' thread counts differ
