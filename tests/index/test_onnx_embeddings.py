"""The onnxruntime embedder: the torch path's vectors and word pieces, without torch when answering."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from typer.testing import CliRunner

from bot.chain import NewsBot
from bot.cli import app
from bot.settings import BUNDLED_ARTICLES, Settings, default_model_path
from index.embeddings import LazyEmbeddings
from index.errors import StorageError
from index.onnx_embeddings import OnnxEmbeddings, ensure_exported, full_precision, onnx_dir
from index.onnx_sessions import OPTIMIZED_DIR
from tests.fakes import FakeTokenEmbeddings

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
    monkeypatch.setenv("BOT_MODEL_CACHE", str(tmp_path / "cache"))
    assert Settings(data_dir=tmp_path).embedding_backend == "onnx-int8"
    embeddings = NewsBot(Settings(data_dir=tmp_path)).embeddings
    assert isinstance(embeddings, OnnxEmbeddings) and embeddings.quantized and not embeddings.loaded
    assert embeddings.cache_dir == tmp_path / "cache" and not embeddings.cache_dir.exists()
    monkeypatch.setenv("BOT_EMBEDDING_BACKEND", "onnx")
    embeddings = NewsBot(Settings(data_dir=tmp_path)).embeddings
    assert isinstance(embeddings, OnnxEmbeddings) and not embeddings.quantized and not embeddings.loaded
    monkeypatch.setenv("BOT_EMBEDDING_BACKEND", "torch")
    assert type(NewsBot(Settings(data_dir=tmp_path)).embeddings) is LazyEmbeddings


@pytest.mark.unit
def test_what_compares_with_an_fp32_bar_gets_fp32_vectors(tmp_path):
    int8 = OnnxEmbeddings("some-model", tmp_path, quantized=True, threads=3)
    fp32 = full_precision(int8)
    assert isinstance(fp32, OnnxEmbeddings) and not fp32.quantized and not fp32.loaded
    assert (fp32.model, fp32.cache_dir, fp32.threads) == ("some-model", tmp_path, 3)
    already = OnnxEmbeddings("some-model", tmp_path)
    fake = FakeTokenEmbeddings()
    assert full_precision(already) is already and full_precision(fake) is fake


@pytest.mark.unit
def test_the_model_cache_is_per_user_and_not_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Settings(data_dir=tmp_path / "a").model_cache == Settings(data_dir=tmp_path / "b").model_cache
    assert Settings().model_cache == tmp_path / "home" / ".cache" / "newsbot" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    assert Settings().model_cache == tmp_path / "xdg-cache" / "newsbot" / "models"
    monkeypatch.setenv("BOT_MODEL_CACHE", str(tmp_path / "mine"))
    assert Settings().model_cache == tmp_path / "mine"


@pytest.mark.unit
def test_a_model_cache_that_cannot_be_written_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    cache = tmp_path / "a-file" / "models"  # unwritable even for root, unlike a chmod
    with pytest.raises(StorageError, match=r"cannot export the embedding model into the model cache .*a-file/models .*"
                       r"set BOT_MODEL_CACHE to a folder this user can write"):
        ensure_exported(default_model_path(), cache, int8=True)
    result = CliRunner().invoke(app, ["models", "export"], env={"BOT_MODEL_CACHE": str(cache)})
    assert isinstance(result.exception, StorageError) and "BOT_MODEL_CACHE" in str(result.exception)
    assert result.output.startswith("exporting ")  # and nothing exported: the file is still a file
    assert (tmp_path / "a-file").read_text() == "not a folder"


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
def exported() -> Path:
    """The model cache every test shares (the one `make install` filled), holding the packaged model's fp32 and
    int8 exports: made here only if missing, so the suite exports at most once."""
    cache = Settings().model_cache
    ensure_exported(default_model_path(), cache, int8=True)
    return cache


@pytest.mark.slow
def test_a_local_model_exports_on_first_use_once_for_every_data_dir(tmp_path):
    """A model folder other than the bundled one: the first ingest exports it into the cache (not the data dir),
    `bot models export` then finds it there, and another data dir uses the same export."""
    model, cache = tmp_path / "my-model", tmp_path / "cache"
    shutil.copytree(default_model_path(), model)
    env = {**os.environ, "BOT_EMBEDDING_MODEL": str(model), "BOT_MODEL_CACHE": str(cache)}
    bot = str(Path(sys.executable).with_name("bot"))
    seed = str(BUNDLED_ARTICLES / "india-russia-kalmykia-alaska.txt")
    first = subprocess.run([bot, "--data-dir", str(tmp_path / "one"), "ingest", seed], capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0 and first.stdout.startswith("added "), first.stderr
    assert "WARNING" not in first.stderr  # the quantiser's advice stays out of the user's terminal
    [folder] = [p for p in cache.iterdir() if p.is_dir() and p.name != OPTIMIZED_DIR]
    assert len(list((cache / OPTIMIZED_DIR).iterdir())) == 1  # the embedder's graph as its first load optimised it
    assert folder == onnx_dir(str(model), cache) and {p.name for p in folder.iterdir()} == {
        "model.onnx", "model_qint8.onnx", "tokenizer.json", "embedder.json"}
    assert not (tmp_path / "one" / "models").exists()
    again = subprocess.run([bot, "models", "export"], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0 and again.stdout == f"already exported: {folder}\n", again.stderr
    code = ("import sys; from bot.chain import NewsBot; from bot.settings import Settings; "
            f"b = NewsBot(Settings(data_dir={str(tmp_path / 'two')!r})); b.ingest_file({seed!r}); "
            "print(b.ask('What did India say about the Alaska summit?').refused, 'torch' in sys.modules)")
    asked = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert asked.stdout.split() == ["False", "False"], asked.stderr[-2000:]  # the export found: no torch to make it
    assert len(list((cache / OPTIMIZED_DIR).iterdir())) == 2  # and the reader's, which answering loaded


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
