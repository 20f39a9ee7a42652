"""The embedding model through ONNX Runtime: the same vectors as :class:`~index.embeddings.LazyEmbeddings`
without torch at question time.

The ONNX files are made from the model's own weights (:func:`export_onnx`, the only code here that imports
torch) into ``<cache_dir>/<hash of the model>/`` (the setting ``model_cache``, shared by every data dir):
by ``bot models export`` (which ``make install`` runs for the bundled model), else on first use. They are
read from there afterwards; a cache that holds them may be read-only. The exported
graph is the whole sentence-transformers pipeline (transformer, then the pooling and normalisation the
model's config names), with two outputs: the contextual word-piece vectors and the sentence vector. Text
is tokenised by the ``tokenizers`` library from the exported ``tokenizer.json``, as the reader's model is
(:mod:`bot.reader.model`). onnxruntime with ``tokenizers`` directly was chosen over sentence-transformers'
ONNX backend (which imports torch and transformers anyway) and ``fastembed`` (which downloads its own
files and gives no word-piece vectors).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.embeddings import _OFFLINE, LazyEmbeddings, TokenVectors, _cut, _one_blas_thread, _unit
from index.errors import BotError, StorageError
from index.onnx_sessions import OPTIMIZED_DIR, cpu_session

__all__ = ["OnnxEmbeddings", "ensure_exported", "full_precision", "export_onnx", "is_exported", "onnx_dir", "FP32_FILE", "INT8_FILE"]

FP32_FILE = "model.onnx"
INT8_FILE = "model_qint8.onnx"
CONFIG_FILE = "embedder.json"
OUTPUTS = ["token_embeddings", "sentence_embedding"]


#: Bumped when an export of the same model changes (2: eager attention, see :func:`export_onnx`), so caches made by
#: an earlier release are exported again instead of used.
EXPORT_VERSION = 2


def onnx_dir(model: str, cache_dir: Path) -> Path:
    """Where the ONNX export of ``model`` lives: a folder named by a hash of the model's path (or hub name),
    :data:`EXPORT_VERSION` and, for a local folder, its files' sizes and times, so a changed model is exported
    again."""
    path = Path(model)
    key = (str(path.resolve()) if path.is_dir() else model) + f"|export:{EXPORT_VERSION}"
    if path.is_dir():
        key += "".join(f"|{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(path.iterdir()) if p.is_file())
    return Path(cache_dir) / hashlib.sha256(key.encode()).hexdigest()[:16]


def export_onnx(model: str, out_dir: Path, int8: bool = True) -> Path:
    """Write ``model`` (a sentence-transformers folder or hub name, loaded offline) as ONNX into ``out_dir``:
    ``model.onnx`` (fp32), ``model_qint8.onnx`` (dynamic int8, if ``int8``), ``tokenizer.json`` and
    ``embedder.json``. Uses torch; nothing at question time calls it once the files are there."""
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        try:
            # eager attention: the graph of the plain attention product, not of torch's fused kernel, whose export
            # guards every row against NaN (Where, IsNaN: 10% of an int8 forward pass here). The same vectors.
            st = SentenceTransformer(model, device="cpu", model_kwargs={"attn_implementation": "eager"})
        except (TypeError, ValueError):  # an architecture without that choice
            st = SentenceTransformer(model, device="cpu")
    except OSError as exc:
        raise BotError(f"cannot load the embedding model {model!r}: {exc}. "
                       "Set BOT_EMBEDDING_MODEL to a local sentence-transformers folder.") from None
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in st.tokenizer.model_input_names]

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, *inputs):
            out = self.st(dict(zip(names, inputs)))
            return out["token_embeddings"], out["sentence_embedding"]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    example = st.tokenizer(["an example", "a longer example sentence"], padding=True, return_tensors="pt")
    axes: dict[str, dict[int, str]] = {n: {0: "batch", 1: "tokens"} for n in names}
    axes |= {"token_embeddings": {0: "batch", 1: "tokens"}, "sentence_embedding": {0: "batch"}}
    tmp = out_dir / f".{FP32_FILE}.{os.getpid()}"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on branches that the mask's shape fixes: true for every input
        torch.onnx.export(Graph().eval(), tuple(example[n] for n in names), str(tmp), input_names=names,
                          output_names=OUTPUTS, dynamic_axes=axes, opset_version=17, dynamo=False)
    st.tokenizer.backend_tokenizer.save(str(out_dir / "tokenizer.json"))
    config = {"model": model, "max_seq_length": int(st.max_seq_length or 512), "inputs": names,
              "do_lower_case": bool(getattr(st[0], "do_lower_case", False)), "pad_id": int(st.tokenizer.pad_token_id or 0)}
    (out_dir / CONFIG_FILE).write_text(json.dumps(config, indent=1))
    os.replace(tmp, out_dir / FP32_FILE)  # last: a present model.onnx means a complete export
    if int8:
        quantize(out_dir)
    return out_dir


def quantize(out_dir: Path) -> Path:
    """``model_qint8.onnx`` from ``model.onnx`` by onnxruntime's dynamic quantisation (no torch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = Path(out_dir) / f".{INT8_FILE}.{os.getpid()}"
    # the quantiser advises pre-processing through logging.warning: on the root logger, which would also configure
    # logging for the whole process (basicConfig); a handler that drops it, and a filter on the root logger's own records
    root, quiet = logging.getLogger(), logging.NullHandler()
    root.addHandler(quiet)
    root.addFilter(_drop)
    try:
        # per-channel weights on the matrix products only: per-tensor weights put the vectors at a mean cosine of 0.963
        # to fp32 on SQuAD text, per-channel at 0.995
        quantize_dynamic(Path(out_dir) / FP32_FILE, tmp, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    finally:
        root.removeFilter(_drop)
        root.removeHandler(quiet)
    os.replace(tmp, Path(out_dir) / INT8_FILE)
    return Path(out_dir) / INT8_FILE


def is_exported(model: str, cache_dir: Path, int8: bool = True) -> bool:
    """Whether ``cache_dir`` holds the export of ``model`` (with its int8 file, if ``int8``)."""
    return (onnx_dir(model, cache_dir) / (INT8_FILE if int8 else FP32_FILE)).is_file()


def _drop(record: logging.LogRecord) -> bool:
    return False


def ensure_exported(model: str, cache_dir: Path, int8: bool) -> Path:
    """The export folder of ``model``, made first if missing; a file lock keeps two processes from exporting
    at once (the second waits, then finds the files). A cache that holds the export is only read, so it may
    be read-only; one that must be written and cannot be raises :class:`StorageError` naming the setting
    (no fallback into another folder: a silent second copy per data dir is what the shared cache avoids)."""
    folder = onnx_dir(model, cache_dir)
    if is_exported(model, cache_dir, int8):
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with open(folder.parent / f"{folder.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (folder / FP32_FILE).is_file():
                    export_onnx(model, folder, int8=False)
                if int8 and not is_exported(model, cache_dir, int8):
                    quantize(folder)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError as exc:
        raise StorageError(
            f"cannot export the embedding model into the model cache {Path(cache_dir)} ({exc.strerror or exc}): set "
            "BOT_MODEL_CACHE to a folder this user can write, or run `bot models export` as a user who can write there"
        ) from None
    except BotError:
        raise
    except Exception as exc:  # torch's exporter or the quantiser: a model it cannot trace, a missing `onnx` package
        raise BotError(f"cannot export the embedding model {model!r} to ONNX ({type(exc).__name__}: {str(exc)[:200]}); "
                       "reinstall newsbot (it needs the onnx package), or set BOT_EMBEDDING_BACKEND=torch") from None
    return folder


@dataclass
class _Runtime:
    """A loaded export: the session, the tokenizer (truncating at the model's window) and its settings."""

    session: Any
    tokenizer: Any
    wanted: set[str]
    pad_id: int
    lower: bool

    def encode(self, texts: list[str]) -> list:
        """Tokenised as sentence-transformers does: stripped (and lower-cased if the model says so)."""
        return self.tokenizer.encode_batch([t.strip().lower() if self.lower else t.strip() for t in texts])

    def run(self, encodings: list, tokens: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """Token vectors (batch, tokens, dim; None unless ``tokens``) and sentence vectors (batch, dim) of encodings
        padded to the longest."""
        width = max(len(e.ids) for e in encodings)
        feeds = {"input_ids": np.full((len(encodings), width), self.pad_id, dtype=np.int64),
                 "attention_mask": np.zeros((len(encodings), width), dtype=np.int64),
                 "token_type_ids": np.zeros((len(encodings), width), dtype=np.int64)}
        for row, e in enumerate(encodings):
            feeds["input_ids"][row, : len(e.ids)] = e.ids
            feeds["attention_mask"][row, : len(e.ids)] = e.attention_mask
            feeds["token_type_ids"][row, : len(e.ids)] = e.type_ids
        outputs = self.session.run(OUTPUTS if tokens else OUTPUTS[1:], {k: v for k, v in feeds.items() if k in self.wanted})
        return (outputs[0] if tokens else None), _unit(outputs[-1]).astype(np.float32)


_load_lock = threading.Lock()
_RUNTIMES: dict[tuple[str, bool, int], _Runtime] = {}


def _load(model: str, cache_dir: Path, quantized: bool, threads: int) -> _Runtime:
    """The loaded export of ``model`` (exported first if missing), once per process, model, precision and
    thread count: an evaluation's bot per article (each with a temporary data dir) loads only the first time."""
    key = (model, quantized, threads)
    with _load_lock:
        if key not in _RUNTIMES:
            folder = ensure_exported(model, cache_dir, quantized)
            _RUNTIMES[key] = _open(folder, INT8_FILE if quantized else FP32_FILE, threads, Path(cache_dir))
        return _RUNTIMES[key]


def _open(folder: Path, onnx_file: str, threads: int, cache_dir: Path) -> _Runtime:
    from tokenizers import Tokenizer

    _one_blas_thread()
    try:
        config = json.loads((folder / CONFIG_FILE).read_text())
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        session = cpu_session(folder / onnx_file, threads, cache=cache_dir)
    except Exception as exc:
        raise BotError(f"the ONNX export of the embedding model in {folder} is broken ({type(exc).__name__}: "
                       f"{str(exc)[:160]}); delete that folder and {cache_dir / OPTIMIZED_DIR} to export it again") from None
    tokenizer.enable_truncation(config["max_seq_length"])
    tokenizer.no_padding()
    return _Runtime(session, tokenizer, {i.name for i in session.get_inputs()}, config["pad_id"], config["do_lower_case"])


class OnnxEmbeddings(LazyEmbeddings):
    """:class:`~index.embeddings.LazyEmbeddings` run by onnxruntime: the same vectors and word-piece vectors.

    ``quantized`` runs the int8 export. Batches of 16 (not torch's 64): onnxruntime ran 2,000 SQuAD texts 1.4x
    faster so on 2 cores (benchmarks/embedder_backends.py). Cheap to construct: the export (first use only) and the session load
    the first time a text is embedded.
    """

    def __init__(self, model: str, cache_dir: Path, quantized: bool = False, threads: int = 0,
                 query_cache_size: int = 256, batch_size: int = 16) -> None:
        super().__init__(model, query_cache_size=query_cache_size)
        self.cache_dir = Path(cache_dir)
        self.quantized = quantized
        self.threads = threads or os.cpu_count() or 1
        self.batch_size = batch_size
        self._runtime: _Runtime | None = None
        #: texts' forward passes, inside keeping_tokens(); one holder shared with the with_threads copies
        self._keeper: dict[str, dict[str, tuple[np.ndarray, Any]] | None] = {"kept": None}

    def with_threads(self, threads: int) -> OnnxEmbeddings:
        """The same embedder with sessions of ``threads`` threads (ingest's encoder threads share the cores)."""
        twin = OnnxEmbeddings(self.model, self.cache_dir, self.quantized, threads, self._cache_size, self.batch_size)
        twin._keeper = self._keeper
        return twin

    @property
    def loaded(self) -> bool:
        """Whether this embedder has loaded its session yet."""
        return self._runtime is not None

    def _model(self) -> _Runtime:
        if self._runtime is None:
            self._runtime = _load(self.model, self.cache_dir, self.quantized, self.threads)
        return self._runtime

    @contextmanager
    def keeping_tokens(self) -> Iterator[None]:
        """Inside, :meth:`embed_documents` keeps each text's word-piece vectors, and :meth:`token_vectors` of the
        same text reads them instead of running the model again: ingest embeds the passages, then makes their
        evidence (:mod:`bot.extractive.stored`) from the same forward pass. Dropped on leaving."""
        self._keeper["kept"] = {}
        try:
            yield
        finally:
            self._keeper["kept"] = None

    def drop_kept(self, texts: list[str]) -> None:
        """Forget what :meth:`keeping_tokens` kept of ``texts`` (ingest, once a batch's evidence is made)."""
        kept = self._keeper["kept"]
        if kept is not None:
            for text in texts:
                kept.pop(text, None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        kept = self._keeper["kept"]
        # newlines as HuggingFaceEmbeddings turns them before encoding: a space, so the same word pieces
        outs = self._batches([t.replace("\n", " ") for t in texts], self.batch_size, tokens=kept is not None)
        if kept is not None:
            kept.update((text, (vectors, encoding)) for text, (vectors, _, encoding) in zip(texts, outs))
        return [pooled.tolist() for _, pooled, _ in outs]

    def _batches(self, texts: list[str], batch_size: int, tokens: bool):
        """(token vectors or None, sentence vector, encoding) per text, in order; run in batches of similar length
        (padding changes no fp32 vector: the attention mask hides it)."""
        runtime = self._model()
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[Any] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            chunk = order[start: start + batch_size]
            encodings = runtime.encode([texts[i] for i in chunk])
            vectors, pooled = runtime.run(encodings, tokens)
            for row, i in enumerate(chunk):
                out[i] = (vectors[row, : len(encodings[row].ids)] if vectors is not None else None, pooled[row], encodings[row])
        return out

    def _forward_one(self, text: str) -> tuple[list[float], TokenVectors]:
        runtime = self._model()
        encoding = runtime.encode([text])[0]
        vectors, pooled = runtime.run([encoding])
        assert vectors is not None
        # offsets are those of the stripped text, as in the torch path
        return pooled[0].tolist(), _cut(encoding.tokens, encoding.offsets, vectors[0], 0, len(text))

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[list[TokenVectors]]:
        if not texts:
            return []
        kept = self._keeper["kept"] or {}
        missing = [t for t in dict.fromkeys(texts) if t not in kept]
        found = {t: (vectors, encoding) for t, (vectors, _, encoding) in zip(missing, self._batches(missing, 32, tokens=True))}
        result = []
        for text, text_spans in zip(texts, spans):
            vectors, encoding = kept.get(text) or found[text]
            lead = len(text) - len(text.lstrip())  # offsets into the stripped text, moved back into the text
            offsets = [(a + lead, b + lead) if b > a else (a, b) for a, b in encoding.offsets]
            result.append([_cut(encoding.tokens, offsets, vectors, start, end) for start, end in text_spans])
        return result


def full_precision(embeddings: Any) -> Any:
    """``embeddings``, or its fp32 form where it is the int8 ONNX embedder: for what compares similarities with a
    bar chosen on fp32 vectors (the editors' report's grouping). Cheap: the fp32 model loads on first use."""
    if isinstance(embeddings, OnnxEmbeddings) and embeddings.quantized:
        return OnnxEmbeddings(embeddings.model, embeddings.cache_dir, threads=embeddings.threads)
    return embeddings
