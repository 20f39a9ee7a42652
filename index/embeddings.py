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
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

__all__ = ["LazyEmbeddings", "TokenEmbeddings", "TokenVectors", "load_model"]

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}
_load_lock = threading.Lock()
#: One torch call at a time per process: the model's Hugging Face tokenizer is one object whose padding and
#: truncation settings each call sets, so a query's call racing a padded batch failed ("Unable to create tensor",
#: an HTTP 500 under 4 concurrent clients); torch spreads each call over the cores anyway.
_TORCH_CALLS = threading.RLock()
_LOADED_NAMES: list[str] = []


@lru_cache(maxsize=4)
def _load(model: str, device: str = "cpu"):
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
            model_kwargs={"device": device},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
        )
    except OSError as exc:
        from index.errors import BotError

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


@dataclass(frozen=True)
class TokenVectors:
    """Contextual word-piece vectors of one text (unit length, special tokens dropped) and the pieces."""

    vectors: np.ndarray
    pieces: list[str]


@runtime_checkable
class TokenEmbeddings(Protocol):
    """Embeddings that also give contextual word-piece vectors (:class:`LazyEmbeddings`, the fakes):
    what token-level matching needs. Other embeddings match on whole vectors only."""

    def embed_query_tokens(self, text: str) -> tuple[list[float], TokenVectors]:
        """The query's vector (as ``embed_query``'s) and its word-piece vectors."""
        ...

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[list[TokenVectors]]:
        """For each text, the word-piece vectors inside each of its character spans."""
        ...


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def _cut(tokens: list[str], offsets, vectors: np.ndarray, start: int, end: int) -> TokenVectors:
    """The word pieces (special tokens have empty offsets, so none) lying within characters ``start:end``."""
    keep = [i for i, (a, b) in enumerate(offsets) if b > a and a >= start and b <= end]
    return TokenVectors(_unit(vectors[keep]).astype(np.float32), [tokens[i] for i in keep])


class LazyEmbeddings(Embeddings):
    """A LangChain :class:`Embeddings` that loads its model on first use.

    Vectors are L2-normalised, so a dot product is the cosine similarity.
    """

    def __init__(self, model: str, query_cache_size: int = 256) -> None:
        self.model = model
        self._cache: OrderedDict[str, tuple[list[float], TokenVectors]] = OrderedDict()
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
        with _TORCH_CALLS:
            return self._model().embed_documents(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_tokens(text)[0]

    def embed_query_tokens(self, text: str) -> tuple[list[float], TokenVectors]:
        """The query's vector and its contextual word-piece vectors, from one forward pass (memoised).

        The vector equals ``embed_query``'s (the model's pooled output, L2-normalised); the
        word pieces feed the token-level matching in :mod:`bot.extractive.features`.
        """
        with self._cache_lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        result = self._forward_one(text)
        with self._cache_lock:
            self._cache[text] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[list[TokenVectors]]:
        """For each text, the contextual vectors of the word pieces inside each of its character spans.

        A passage encoded once as ``texts[i]`` gives each of its sentences (``spans[i]``) vectors
        that know their context (whom "he" refers to) but belong to the sentence alone.
        """
        if not texts:
            return []
        with _TORCH_CALLS:
            outs = self._encode(list(texts), batch_size=32)
            return [self._pieces(text, out, text_spans) for text, out, text_spans in zip(texts, outs, spans)]

    def _forward_one(self, text: str) -> tuple[list[float], TokenVectors]:
        """One text through the model, tokenised once (with offsets): a query's vector and pieces.
        Calling the model's modules directly skips ``encode``'s batching overhead, which is a
        sizeable part of a single short query's time."""
        import torch

        client = self._model()._client
        tokenizer = client.tokenizer
        with _TORCH_CALLS, torch.inference_mode():
            features = tokenizer([text.strip()], truncation=True, max_length=client.max_seq_length,
                                 return_offsets_mapping=True, return_tensors="pt")
            offsets = features.pop("offset_mapping")[0].tolist()
            out = client(dict(features))
        pooled = out["sentence_embedding"][0].float().numpy()
        vector = (pooled / max(float(np.linalg.norm(pooled)), 1e-9)).tolist()
        tokens = out["token_embeddings"][0].float().numpy()
        return vector, _cut(tokenizer.convert_ids_to_tokens(features["input_ids"][0].tolist()), offsets, tokens, 0, len(text))

    def _encode(self, texts: list[str], batch_size: int = 64) -> list[dict]:
        client = self._model()._client
        return client.encode(texts, output_value=None, batch_size=batch_size, convert_to_numpy=False)

    def _pieces(self, text: str, out: dict, spans: list[tuple[int, int]]) -> list[TokenVectors]:
        client = self._model()._client
        encoded = client.tokenizer(text, truncation=True, max_length=client.max_seq_length, return_offsets_mapping=True)
        vectors = out["token_embeddings"].float().numpy()
        offsets = encoded["offset_mapping"][: len(vectors)]
        # pieces past the model's window (max_seq_length) are not there: such a span gets fewer, or none
        tokens = client.tokenizer.convert_ids_to_tokens(encoded["input_ids"])
        return [_cut(tokens, offsets, vectors, start, end) for start, end in spans]
