"""``bot models export``: the embedding model's ONNX files, made now into the model cache (``make install`` runs it)."""

from __future__ import annotations

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
    from index.onnx_embeddings import ensure_exported, is_exported, onnx_dir

    settings = get_settings()
    model, cache = settings.model_path, settings.model_cache
    if is_exported(model, cache, int8=True):
        echo(f"already exported: {onnx_dir(model, cache)}")
        return
    echo(f"exporting {model} to ONNX (fp32 and int8; once, about 10 s)")
    echo(f"exported to {ensure_exported(model, cache, int8=True)}")
