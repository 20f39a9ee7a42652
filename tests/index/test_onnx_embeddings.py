"""The onnxruntime embedder: the torch path's vectors and word pieces, without torch when answering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.chain import NewsBot
from bot.settings import Settings, default_model_path
from index.embeddings import LazyEmbeddings
from index.onnx_embeddings import OnnxEmbeddings, onnx_dir

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ("torch", "transformers", "sentence_transformers")
TEXTS = [
    "  What did India say about the Alaska summit?  ",
    "The council voted 31 to 12.\nConstruction starts in March, the mayor said.",
    "Le café à Paris: naïve résumé — 240 million euros.",
    "x",
    "A sentence far longer than the model's window of 256 word pieces. " * 30,
]


def _loaded_training_modules(code: str) -> list[str]:
    """The training stack's modules that a new process running ``code`` has imported."""
    check = f"import sys; {code}; print([m for m in {TRAINING!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return eval(out.stdout.strip().splitlines()[-1])


@pytest.mark.unit
def test_the_onnx_module_imports_no_torch():
    assert _loaded_training_modules("import index.onnx_embeddings") == []


@pytest.mark.unit
def test_the_backend_setting_picks_the_embedder(tmp_path, monkeypatch):
    assert Settings(data_dir=tmp_path).embedding_backend == "torch"
    assert type(NewsBot(Settings(data_dir=tmp_path)).embeddings) is LazyEmbeddings
    monkeypatch.setenv("BOT_EMBEDDING_BACKEND", "onnx")
    embeddings = NewsBot(Settings(data_dir=tmp_path)).embeddings
    assert isinstance(embeddings, OnnxEmbeddings) and not embeddings.loaded
    assert embeddings.cache_dir == tmp_path / "models" and not embeddings.cache_dir.exists()
    assert not embeddings.quantized
    monkeypatch.setenv("BOT_EMBEDDING_BACKEND", "onnx-int8")
    embeddings = NewsBot(Settings(data_dir=tmp_path)).embeddings
    assert isinstance(embeddings, OnnxEmbeddings) and embeddings.quantized and not embeddings.loaded


@pytest.mark.unit
def test_the_export_folder_is_named_by_the_model(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    first = onnx_dir(str(model), tmp_path / "cache")
    assert first == onnx_dir(str(model), tmp_path / "cache") and first.parent == tmp_path / "cache"
    assert onnx_dir("sentence-transformers/all-MiniLM-L6-v2", tmp_path / "cache") != first
    (model / "config.json").write_text('{"changed": true}')
    assert onnx_dir(str(model), tmp_path / "cache") != first


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A cache dir holding the packaged model's fp32 and int8 exports, made once for the module."""
    cache = tmp_path_factory.mktemp("onnx")
    OnnxEmbeddings(default_model_path(), cache, quantized=True).embed_query("export")
    OnnxEmbeddings(default_model_path(), cache).embed_query("export")
    return cache


@pytest.mark.slow
def test_onnx_vectors_and_word_pieces_match_torch(exported):
    model = default_model_path()
    torch_path, onnx_path = LazyEmbeddings(model), OnnxEmbeddings(model, exported, batch_size=2)
    docs = np.asarray(onnx_path.embed_documents(TEXTS)) - np.asarray(torch_path.embed_documents(TEXTS))
    assert np.abs(docs).max() < 1e-5
    for text in TEXTS:
        (vector, pieces), (want_vector, want_pieces) = onnx_path.embed_query_tokens(text), torch_path.embed_query_tokens(text)
        assert np.abs(np.asarray(vector) - np.asarray(want_vector)).max() < 1e-5
        assert pieces.pieces == want_pieces.pieces and np.abs(pieces.vectors - want_pieces.vectors).max() < 1e-5
    spans = [[(0, 10), (2, 30)], [(0, 27), (28, 74)], [(3, 12)], [(0, 1)], [(0, 66), (1500, 1980)]]
    got, want = onnx_path.token_vectors(TEXTS, spans), torch_path.token_vectors(TEXTS, spans)
    for text_got, text_want in zip(got, want, strict=True):
        for one, other in zip(text_got, text_want, strict=True):
            assert one.pieces == other.pieces
            assert one.vectors.shape == other.vectors.shape and np.abs(one.vectors - other.vectors).max(initial=0) < 1e-5
    assert sum(len(p.pieces) for p in got[-1]) > 0 and got[-1][1].pieces == []  # past the window: none


@pytest.mark.slow
def test_int8_vectors_stay_close(exported):
    model = default_model_path()
    fp32 = np.asarray(OnnxEmbeddings(model, exported).embed_documents(TEXTS))
    int8 = np.asarray(OnnxEmbeddings(model, exported, quantized=True).embed_documents(TEXTS))
    assert (fp32 * int8).sum(axis=1).min() > 0.97


@pytest.mark.slow
def test_the_onnx_query_path_imports_no_torch(exported):
    code = (f"from index.onnx_embeddings import OnnxEmbeddings; e = OnnxEmbeddings({default_model_path()!r}, {str(exported)!r}); "
            "e.embed_query_tokens('Who won?'); e.token_vectors(['He won. She lost.'], [[(0, 7)]]); assert e.loaded")
    assert _loaded_training_modules(code) == []
