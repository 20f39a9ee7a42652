"""Part ``quality``: ``bot eval --json`` on dev.jsonl, the news check part and the SQuAD report split, under
``BOT_EMBEDDING_BACKEND=torch`` (fp32) and under the default backend, and the largest difference per figure."""

from __future__ import annotations

import json
import math
import subprocess
import time
from pathlib import Path

from bot.settings import Settings
from perf.common import BOT, bot_env, log
from perf.corpus import DEV, ROOT, SQUAD_FILES

#: the figures held to the target (rates); answer length and latency are printed, not compared
FIGURES = ["answered_correctly", "cited_gold", "citation_validity", "refused_unanswerable", "wrongly_refused"]


def sets(squad_articles: str) -> list[tuple[str, list[str]]]:
    return [
        ("dev.jsonl", [str(DEV)]),
        ("news check part", [str(ROOT / "benchmarks" / "news"), "--part", "check"]),
        (f"SQuAD report split (articles {squad_articles})", [str(SQUAD_FILES[0]), "--articles", squad_articles]),
    ]


def backends() -> tuple[str, str]:
    """torch and the default backend; if torch is the default, torch and onnx-int8."""
    default = Settings.model_fields["embedding_backend"].default
    return "torch", default if default != "torch" else "onnx-int8"


def run(work: Path, squad_articles: str = "7-16") -> dict:
    base, other = backends()
    out: dict = {"backends": [base, other], "default": Settings.model_fields["embedding_backend"].default, "sets": []}
    for name, args in sets(squad_articles):
        row: dict = {"name": name, "figures": {}, "seconds": {}}
        for backend in (base, other):
            log(f"quality: bot eval {name} with BOT_EMBEDDING_BACKEND={backend}")
            start = time.perf_counter()
            done = subprocess.run([BOT, "--data-dir", str(work / "eval"), "eval", *args, "--json"],
                                  env=bot_env(embedding_backend=backend), capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"bot eval {name} ({backend}) failed: {done.stderr[-3000:]}")
            row["seconds"][backend] = time.perf_counter() - start
            row["figures"][backend] = json.loads(done.stdout)
            log(f"  took {row['seconds'][backend]:.0f} s: " + ", ".join(f"{f} {row['figures'][backend][f]:.3f}" for f in FIGURES))
        a, b = row["figures"][base], row["figures"][other]
        # a figure with no questions behind it (no unanswerable ones, say) is NaN on both sides: nothing to compare
        row["diff"] = {f: abs(a[f] - b[f]) for f in FIGURES if not (math.isnan(a[f]) or math.isnan(b[f]))}
        row["max_diff"] = max(row["diff"].values())
        log(f"quality: {name}: largest difference {row['max_diff']:.3f} (target <= 0.005)")
        out["sets"].append(row)
    out["max_diff"] = max(r["max_diff"] for r in out["sets"])
    return out
