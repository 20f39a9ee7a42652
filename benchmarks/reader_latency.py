"""What the reader costs: warm answers with and without it against one query embedding, cold `bot ask`, wheel size.

    .venv/bin/python benchmarks/reader_latency.py [--reader packaged|PATH] [--questions 120]

Warm: one bot per setting over the same newsroom check article, warmed by 20 questions (each with " (warm)"
added, so no timed question's embedding is cached), then each question timed alternately with one query
embedding of it (the baseline, measured in the same run): p50 and p95 of each and the ratio of the p50s.
Cold: `bot ask` as a new process, three times each, the median.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quality import timed  # noqa: E402  (benchmarks/ is this script's own folder on sys.path)
from bot.evaluate import load_eval_set  # noqa: E402
from bot.settings import Settings  # noqa: E402


def warm(reader: str, eval_set, n: int) -> tuple[np.ndarray, np.ndarray]:
    from bot.chain import NewsBot

    with tempfile.TemporaryDirectory() as tmp:
        bot = NewsBot(Settings(data_dir=Path(tmp), reader=reader, rate_limit=0, log_questions=False))
        bot.ingest(eval_set.article)
        bot.warm_up()
        model = bot.embeddings._model()
        questions = [it.question for it in eval_set.items][:n]
        for q in questions[:20]:  # warm, with other strings: the timed questions' embeddings are not cached
            bot.ask(q + " (warm)", article=eval_set.article.id)
        return timed(bot, model, questions, eval_set.article.id)


def cold(reader: str, data: Path, question: str) -> float:
    env = {**os.environ, "BOT_DATA_DIR": str(data), "BOT_READER": reader}
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("bot")), "ask", question], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", default="packaged")
    parser.add_argument("--questions", type=int, default=120)
    args = parser.parse_args()
    sets = [s for s in load_eval_set(ROOT / "benchmarks" / "newsroom", part="check") if s.items]
    article = max(sets, key=lambda s: len(s.article.text))
    print(f"article {article.article.id} ({len(article.article.text)} characters), {min(args.questions, len(article.items))} questions")
    for reader in ("off", args.reader):
        answer, embed = warm(reader, article, args.questions)
        print(f"reader {reader:>10}: warm answer p50 {np.median(answer):6.1f} ms  p95 {np.percentile(answer, 95):6.1f} ms;  "
              f"query embedding p50 {np.median(embed):5.1f} ms;  ratio {np.median(answer) / np.median(embed):.2f}x")
    with tempfile.TemporaryDirectory() as tmp:
        from bot.chain import NewsBot

        NewsBot(Settings(data_dir=Path(tmp))).ingest(article.article)
        question = article.items[0].question
        for reader in ("off", args.reader):
            print(f"reader {reader:>10}: cold `bot ask` {cold(reader, Path(tmp), question):.2f} s (median of 3)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp, str(ROOT)], check=True,
                       capture_output=True)
        wheel = next(Path(tmp).glob("*.whl"))
        print(f"wheel {wheel.name}: {wheel.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
