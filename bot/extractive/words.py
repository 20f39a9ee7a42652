"""Word-level vectors for soft (near-synonym) matching: WordLlama's static vectors, memoised per word."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.terms import STOPWORDS, tokens

__all__ = ["content_words", "word_vectors"]


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (no stop words), unstemmed: the word-vector vocabulary."""
    return [w for w in tokens(text) if w not in STOPWORDS and len(w) > 1]


@lru_cache(maxsize=1)
def _wordllama():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama
    from wordllama import WordLlama

    root.handlers[:], root.level = handlers, level  # wordllama calls logging.basicConfig(INFO) on import

    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


_WORD_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_WORD_CACHE_SIZE = 200_000
_word_lock = threading.Lock()


def word_vectors(words: list[str]) -> np.ndarray:
    """Static WordLlama vectors (unit length) for single words: cheap synonym matching.

    Vectors are static, so they are memoised per word: a question's words are mostly words
    of the article, embedded already when its index was built."""
    if not words:
        return np.zeros((0, 256), dtype=np.float32)
    with _word_lock:
        cached = {w: _WORD_CACHE.get(w) for w in words}
    found = {w: v for w, v in cached.items() if v is not None}
    missing = [w for w in cached if w not in found]
    if missing:
        found.update(zip(missing, _embed_now(missing)))
        with _word_lock:
            _WORD_CACHE.update((w, found[w]) for w in missing)
            while len(_WORD_CACHE) > _WORD_CACHE_SIZE:
                _WORD_CACHE.popitem(last=False)
    return np.vstack([found[w] for w in words])


def _embed_now(words: list[str]) -> np.ndarray:
    vectors = np.asarray(_wordllama().embed(words), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
