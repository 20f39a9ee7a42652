"""Loading and running a reader model: the probability that a sentence answers a question.

A folder with ``onnx/model_qint8.onnx`` and ``tokenizer.json`` (what ``benchmarks/train_reader.py`` ships) runs
in onnxruntime with the ``tokenizers`` library: no torch and no transformers at answer time. Any other local
folder or hub name loads as a sentence-transformers ``CrossEncoder`` (torch), so a user with internet can name
a larger public cross-encoder in ``BOT_READER``. A missing or broken model is a :class:`BotError`, never a
silent fallback.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.errors import BotError

__all__ = ["Reader", "ONNX_FILE"]

ONNX_FILE = "onnx/model_qint8.onnx"
MAX_LENGTH = 96
#: what a loaded model is: (questions, passages) → the probability per pair
Scorer = Callable[[list[str], list[str]], np.ndarray]


class Reader:
    """Scores (question, passage) pairs; cheap to construct, loads on first use."""

    def __init__(self, name: str, max_length: int = MAX_LENGTH, threads: int = 0, cache: Path | None = None) -> None:
        self.name = name
        self.max_length = max_length
        self.threads = threads or os.cpu_count() or 1
        #: the model cache (setting ``model_cache``) that keeps the ONNX graph as onnxruntime optimised it, so it loads quicker
        self.cache = cache
        self._run: Scorer | None = None
        self._lock = threading.Lock()

    def score(self, questions: list[str], passages: list[str]) -> np.ndarray:
        """The probability, per pair, that the passage's sentence answers the question."""
        if not questions:
            return np.zeros(0)
        if self._run is None:
            with self._lock:
                if self._run is None:
                    self._run = self._load()
        return self._run(questions, passages)

    def warm_up(self) -> None:
        self.score(["warm?"], ["up."])

    def _load(self) -> Scorer:
        path = Path(self.name)
        if (path / ONNX_FILE).is_file():
            return _onnx(path, self.max_length, self.threads, self.cache)
        if path.is_absolute() and not path.exists():
            raise BotError(f"the reader model {self.name} does not exist: set BOT_READER to a cross-encoder (a folder or a "
                           "hub name), or BOT_READER=off")
        try:
            from sentence_transformers import CrossEncoder

            model = CrossEncoder(self.name, max_length=self.max_length)
        except Exception as exc:  # a hub name without internet, a folder of something else: say which and why
            raise BotError(f"cannot load the reader model {self.name!r} ({type(exc).__name__}: {str(exc)[:160]}); "
                           "set BOT_READER to a cross-encoder folder or hub name, or BOT_READER=off") from None
        import torch

        def run(questions: list[str], passages: list[str]) -> np.ndarray:
            return np.asarray(model.predict(list(zip(questions, passages)), activation_fn=torch.nn.Sigmoid(),
                                            show_progress_bar=False), dtype=np.float64).reshape(-1)

        return run


def _onnx(path: Path, max_length: int, threads: int, cache: Path | None) -> Scorer:
    from tokenizers import Tokenizer

    from index.onnx_sessions import cpu_session

    try:
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        session = cpu_session(path / ONNX_FILE, threads, cache=cache)
    except Exception as exc:
        raise BotError(f"the reader model in {path} is broken ({type(exc).__name__}: {str(exc)[:160]}); "
                       "reinstall newsbot, set BOT_READER to another model, or BOT_READER=off") from None
    # the longer of the two is cut first: the passage, as in training, or a question longer than the model reads
    # (with "only_second" such a question was an error: the bot would have failed a 1,000-character question)
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    wanted = {i.name for i in session.get_inputs()}

    def run(questions: list[str], passages: list[str]) -> np.ndarray:
        # one pair per run: int8 activations are quantised per tensor, so in a padded batch a pair's score would
        # depend on its neighbours; alone, a pair always scores the same, and without padding it is faster too
        # (4 pairs: 11.6 ms alone, 15.9 ms batched, 2 threads)
        logits = []
        for e in tokenizer.encode_batch(list(zip(questions, passages))):
            feeds = {"input_ids": [e.ids], "attention_mask": [e.attention_mask], "token_type_ids": [e.type_ids]}
            out = session.run(None, {k: np.asarray(v, dtype=np.int64) for k, v in feeds.items() if k in wanted})[0]
            logits.append(float(np.asarray(out).reshape(-1)[0]))
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))

    return run
