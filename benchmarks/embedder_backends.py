"""The embedder's backends side by side: torch (sentence-transformers) against onnxruntime fp32 and int8.

    .venv/bin/python benchmarks/embedder_backends.py [--texts 2000] [--queries 200]

Texts: distinct paragraphs, questions and sentences of the SQuAD files in /work/shared/eval/squad-v2 (the
first ``--texts``). For each backend and batch size (64, torch's in ``embed_documents``, and 16, the onnx
embedder's default): documents a second (one ``embed_documents`` call; torch at 16 through its model's
``encode``), the largest absolute difference of its vectors from torch's at 64 and their cosine (min, mean);
at 64, the p50 of one query embedding (the query path's miss: vector and word pieces in one pass).
Then the import time of each path in a new process (``import`` of the module and, for onnx, onnxruntime
and tokenizers; for torch, sentence-transformers) beside ``import torch``.
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import default_model_path  # noqa: E402
from index.embeddings import LazyEmbeddings  # noqa: E402
from index.onnx_embeddings import OnnxEmbeddings  # noqa: E402

SQUAD = "/work/shared/eval/squad-v2/*.json"
BATCH_TORCH = 64
BATCHES = (BATCH_TORCH, 16)  # torch's in index/embeddings.py; the onnx embedder's default
IMPORTS = {
    "torch path": "import index.embeddings, sentence_transformers, langchain_huggingface",
    "onnx path": "import index.onnx_embeddings, onnxruntime, tokenizers",
    "import torch": "import torch",
}


def squad_texts(n: int) -> list[str]:
    """Distinct paragraphs, questions and sentences (split at '. ') of the SQuAD files, in file order."""
    seen: dict[str, None] = {}
    for path in sorted(glob.glob(SQUAD)):
        for article in json.loads(Path(path).read_text())["data"]:
            for para in article["paragraphs"]:
                for text in [para["context"], *(qa["question"] for qa in para["qas"]), *para["context"].split(". ")]:
                    if len(text.strip()) > 3:
                        seen.setdefault(text.strip(), None)
    texts = list(seen)
    if len(texts) < n:
        raise SystemExit(f"only {len(texts)} distinct texts in {SQUAD}")
    return texts[:n]


def import_seconds(code: str, runs: int = 3) -> float:
    """The median wall time of ``python -c code`` in a new process, less that of an empty one."""
    def one(c: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", c], check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
        return time.perf_counter() - t

    base = float(np.median([one("pass") for _ in range(runs)]))
    return float(np.median([one(code) for _ in range(runs)])) - base


def embed(embedder, texts: list[str], batch: int) -> list[list[float]]:
    """``embed_documents`` at ``batch`` texts a run."""
    if isinstance(embedder, OnnxEmbeddings):
        embedder.batch_size = batch
        return embedder.embed_documents(texts)
    if batch == BATCH_TORCH:
        return embedder.embed_documents(texts)
    client = embedder._model()._client  # what HuggingFaceEmbeddings.embed_documents runs, at another batch size
    return client.encode([t.replace("\n", " ") for t in texts], batch_size=batch, normalize_embeddings=True).tolist()


def query_p50(embedder, queries: list[str]) -> float:
    embedder._forward_one("warm up")
    times = []
    for q in queries:
        t = time.perf_counter()
        embedder._forward_one(q)  # the memo's miss path: what a new question costs
        times.append(time.perf_counter() - t)
    return float(np.percentile(times, 50)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    texts = squad_texts(args.texts)
    queries = [t for t in texts if t.endswith("?")][: args.queries]
    model = default_model_path()
    with tempfile.TemporaryDirectory() as cache:
        backends = {
            "torch": LazyEmbeddings(model),
            "onnx fp32": OnnxEmbeddings(model, Path(cache)),
            "onnx int8": OnnxEmbeddings(model, Path(cache), quantized=True),
        }
        rows, ref = [], None
        for batch in BATCHES:
            for name, embedder in backends.items():
                embedder.embed_documents(["warm up"])  # loads (and exports) outside the timing
                t = time.perf_counter()
                vectors = np.asarray(embed(embedder, texts, batch), dtype=np.float64)
                docs_s = len(texts) / (time.perf_counter() - t)
                ref = vectors if ref is None else ref
                cos = (vectors * ref).sum(axis=1)
                p50 = query_p50(embedder, queries) if batch == BATCHES[0] else float("nan")
                rows.append((name, batch, docs_s, np.abs(vectors - ref).max(), cos.min(), cos.mean(), p50))
    print(f"{len(texts)} distinct SQuAD texts (mean {np.mean([len(t) for t in texts]):.0f} chars), {len(queries)} queries; "
          "× torch: against torch at batch size 64 (what ingest runs today)\n")
    print("| backend | batch | docs/s | × torch | max abs diff vs torch | cosine min | cosine mean | query p50 (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, batch, docs_s, diff, cmin, cmean, p50 in rows:
        print(f"| {name} | {batch} | {docs_s:.1f} | {docs_s / rows[0][2]:.2f} | {diff:.2e} | {cmin:.6f} | {cmean:.6f} | "
              f"{'' if np.isnan(p50) else f'{p50:.2f}'} |")
    print("\n| import (new process, less an empty one) | seconds |\n|---|---|")
    for name, code in IMPORTS.items():
        print(f"| {name}: `{code}` | {import_seconds(code):.2f} |")


if __name__ == "__main__":
    main()
