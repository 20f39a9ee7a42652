"""Sentence-transformers embeddings through ``langchain-huggingface``, loaded on first use.

:class:`LazyEmbeddings` is cheap to construct. The model loads the first time a
text is embedded, once per process and model path, with the Hugging Face offline
flags set so nothing tries the network. Query embeddings are memoised, so the
retriever and the answerer can both ask for the same question's vector.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache

from langchain_core.embeddings import Embeddings

__all__ = ["LazyEmbeddings", "load_model"]

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}
_load_lock = threading.Lock()
_LOADED_NAMES: list[str] = []


@lru_cache(maxsize=4)
def _load(model: str):
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    _one_blas_thread()

    try:
        return HuggingFaceEmbeddings(
            model_name=model,
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
        )
    except OSError as exc:
        from bot.errors import BotError

        raise BotError(
            f"cannot load the embedding model {model!r}: {exc}. "
            "Set BOT_EMBEDDING_MODEL to a local sentence-transformers folder."
        ) from None


def _one_blas_thread() -> None:
    """Numpy's BLAS threads spin after each matrix product and starve torch's threads on a
    small machine: every question got ~4x slower (benchmarks/quality.py). Answering does only
    small products, so one BLAS thread costs nothing there."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def load_model(model: str):
    """The loaded ``HuggingFaceEmbeddings`` for ``model`` (one per process)."""
    with _load_lock:
        loaded = _load(model)
        if model not in _LOADED_NAMES:
            _LOADED_NAMES.append(model)
        return loaded


class LazyEmbeddings(Embeddings):
    """A LangChain :class:`Embeddings` that loads its model on first use.

    Vectors are L2-normalised, so a dot product is the cosine similarity.
    """

    def __init__(self, model: str, query_cache_size: int = 256) -> None:
        self.model = model
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = query_cache_size
        self._cache_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether this process has loaded the model yet."""
        return self.model in _LOADED_NAMES

    def _model(self):
        return load_model(self.model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model().embed_documents(list(texts))

    def embed_query(self, text: str) -> list[float]:
        with self._cache_lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self._model().embed_query(text)
        with self._cache_lock:
            self._cache[text] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector
