"""The embedder's backends side by side: torch (sentence-transformers) against onnxruntime fp32 and int8.

    .venv/bin/python benchmarks/embedder_backends.py [--texts 2000] [--queries 200]

Texts: distinct paragraphs, questions and sentences of the SQuAD files in /work/shared/eval/squad-v2 (the
first ``--texts``). For each backend: documents a second (``embed_documents``, one call, batches of 64 as
torch's), the largest absolute difference of its vectors from torch's and their cosine (min, mean), and the
p50 of one query embedding (``embed_query_tokens``, the query path: vector and word pieces, memo bypassed).
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
BATCH = 64  # torch's, in index/embeddings.py
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
            "onnx fp32": OnnxEmbeddings(model, Path(cache), batch_size=BATCH),
            "onnx int8": OnnxEmbeddings(model, Path(cache), quantized=True, batch_size=BATCH),
        }
        rows, ref = [], None
        for name, embedder in backends.items():
            embedder.embed_documents(["warm up"])  # loads (and exports) outside the timing
            t = time.perf_counter()
            vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float64)
            docs_s = len(texts) / (time.perf_counter() - t)
            ref = vectors if ref is None else ref
            cos = (vectors * ref).sum(axis=1)
            rows.append((name, docs_s, np.abs(vectors - ref).max(), cos.min(), cos.mean(), query_p50(embedder, queries)))
    print(f"{len(texts)} distinct SQuAD texts (mean {np.mean([len(t) for t in texts]):.0f} chars), batches of {BATCH}, "
          f"{len(queries)} queries\n")
    print("| backend | docs/s | × torch | max abs diff vs torch | cosine min | cosine mean | query p50 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for name, docs_s, diff, cmin, cmean, p50 in rows:
        print(f"| {name} | {docs_s:.1f} | {docs_s / rows[0][1]:.2f} | {diff:.2e} | {cmin:.6f} | {cmean:.6f} | {p50:.2f} |")
    print("\n| import (new process, less an empty one) | seconds |\n|---|---|")
    for name, code in IMPORTS.items():
        print(f"| {name}: `{code}` | {import_seconds(code):.2f} |")


if __name__ == "__main__":
    main()
