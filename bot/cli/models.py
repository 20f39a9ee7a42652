"""``bot models export``: the embedding model's ONNX files, made now into the model cache (``make install`` runs it)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import echo, get_settings

__all__ = ["models"]

models = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None)


@models.callback()
def _models() -> None:
    """The embedding model's ONNX exports, shared by every data dir (BOT_MODEL_CACHE)."""


@models.command("export")
def export() -> None:
    """Export the embedding model (BOT_EMBEDDING_MODEL, default the bundled all-MiniLM-L6-v2) to ONNX, fp32 and
    int8, into the model cache, unless it is there already; otherwise the first question or ingest exports it."""
    from bot.reader import ONNX_FILE, load_reader
    from index.onnx_embeddings import FP32_FILE, INT8_FILE, ensure_exported, is_exported, onnx_dir
    from index.onnx_sessions import optimized_copy

    settings = get_settings()
    model, cache = settings.model_path, settings.model_cache
    if is_exported(model, cache, int8=True):
        echo(f"already exported: {onnx_dir(model, cache)}")
        folder = onnx_dir(model, cache)
    else:
        echo(f"exporting {model} to ONNX (fp32 and int8; once, about 10 s)")
        folder = ensure_exported(model, cache, int8=True)
        echo(f"exported to {folder}")
    # the graphs as onnxruntime optimises them, which a question's cold start loads (index/onnx_sessions.py)
    backend = settings.embedding_backend
    onnx_files = [] if backend == "torch" else [folder / (INT8_FILE if backend == "onnx-int8" else FP32_FILE)]
    reader, _ = load_reader(settings.reader)
    if reader is not None and (Path(reader.name) / ONNX_FILE).is_file():
        onnx_files.append(Path(reader.name) / ONNX_FILE)
    for onnx_file in onnx_files:
        optimized_copy(onnx_file, cache)
