"""Newsroom-scale performance (issue 25): ingest throughput, warm question latency at 1 / 1,000 / 10,000 / 100,000
articles on the embedded store and on a Chroma server, the bot process's memory, cold start, 64 concurrent API
clients, and the quality figures under both embedding backends.

    .venv/bin/python benchmarks/performance.py                       # every part; writes docs/performance.md and .png
    .venv/bin/python benchmarks/performance.py --part cold,concurrent # some parts; the page shows the latest of each
    .venv/bin/python benchmarks/performance.py --sizes 1,200 --results /tmp/r --out /tmp/r   # a quick check
    .venv/bin/python benchmarks/performance.py --render              # the page again from the saved results

Each part saves its figures as JSON (``benchmarks/results/performance/<part>.json``, committed with the page), and
the page is rendered from the latest result of every part. The parts (see ``benchmarks/perf/``):

* ``ingest``: ``NewsBot.ingest_many`` against a raw torch ``SentenceTransformer.encode`` of the same texts;
* ``scale``: the archive built up to each size, a fresh worker bot asking scoped and unscoped questions at each;
* ``memory``: ``bot serve``'s resident memory over the largest archive (built first if ``--work`` lacks it);
* ``cold``: a new ``bot ask`` process to its answer, beside ``python -c "import torch"``;
* ``concurrent``: 64 asyncio clients on ``/api/ask`` of a ``bot serve`` for 60 s;
* ``quality``: ``bot eval`` of dev.jsonl, the news check part and the SQuAD report split, torch against the default.

How the archive is built (real prose, texts repeated under new ids past ``--distinct``, vectors of repeated text
reused) is said on the page. The full run at 100,000 articles takes hours on 2 cores: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from perf import ingest, quality, scale, web  # noqa: E402
from perf.common import log, save  # noqa: E402
from perf.corpus import distinct_texts  # noqa: E402
from perf.render import render  # noqa: E402

PARTS = ["ingest", "scale", "memory", "cold", "concurrent", "quality"]
RESULTS = ROOT / "benchmarks" / "results" / "performance"


def run_part(part: str, args: argparse.Namespace, work: Path) -> dict:
    if part == "ingest":
        return ingest.run(work, args.ingest_articles, args.repeats, args.ingest_workers)
    if part == "scale":
        return scale.run(work, distinct_texts(args.distinct), args.sizes, args.questions)
    if part == "memory":
        return scale.memory(work, distinct_texts(args.distinct), max(args.sizes), args.memory_questions)
    if part == "cold":
        return web.cold(work, args.cold_runs)
    if part == "concurrent":
        return web.concurrent(work, args.clients, args.seconds)
    return quality.run(work, args.squad_articles)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give sizes like 1,1000,10000") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes are whole numbers of articles, at least 1")
    return sizes


def _parts(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PARTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: parts are {', '.join(PARTS)}")
    return [p for p in PARTS if p in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", type=_parts, default=PARTS, help=f"comma-separated parts to run (default: all): {', '.join(PARTS)}")
    parser.add_argument("--render", action="store_true", help="measure nothing; render the page from the saved results")
    parser.add_argument("--sizes", type=_sizes, default=[1, 1_000, 10_000, 100_000], help="archive sizes (default 1,1000,10000,100000)")
    parser.add_argument("--distinct", type=int, default=10_000, help="distinct article texts the archive cycles over (default 10000)")
    parser.add_argument("--questions", type=int, default=100, help="scoped and unscoped questions asked at each size (default 100 each)")
    parser.add_argument("--memory-questions", type=int, default=300, help="questions asked of bot serve before its memory is read")
    parser.add_argument("--ingest-articles", type=int, default=300, help="distinct articles the ingest part ingests (default 300)")
    parser.add_argument("--ingest-workers", type=int, default=None, help="pass workers=N to NewsBot.ingest_many (default: its own)")
    parser.add_argument("--repeats", type=int, default=2, help="ingest part: runs of each side, best taken (default 2)")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold bot ask runs, median taken (default 5)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (default 64)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the concurrent clients ask (default 60)")
    parser.add_argument("--squad-articles", default="7-16", help="SQuAD articles of the quality part (default 7-16, the report split)")
    parser.add_argument("--work", type=Path, default=None, help="where archives and data dirs go (kept); default: a temporary "
                        "folder, removed at the end. `--part memory` reuses the archive `--part scale` left there")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"where each part's JSON goes (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where performance.md and .png go (default docs/)")
    args = parser.parse_args()

    if not args.render:
        work = args.work or Path(tempfile.mkdtemp(prefix="newsbot-perf-"))
        work.mkdir(parents=True, exist_ok=True)
        log(f"parts {', '.join(args.part)}; work dir {work}")
        try:
            for part in args.part:
                start = time.perf_counter()
                log(f"== {part}")
                result = run_part(part, args, work)
                result["part_s"] = time.perf_counter() - start
                result["argv"] = sys.argv[1:]
                save(args.results, part, result)
                log(f"== {part} took {result['part_s']:.0f} s")
        finally:
            if args.work is None:
                shutil.rmtree(work, ignore_errors=True)
    results = {p: json.loads((args.results / f"{p}.json").read_text(encoding="utf-8"))
               for p in PARTS if (args.results / f"{p}.json").is_file()}
    md = render(results, args.out, "benchmarks/performance.py")
    log(f"wrote {md}" + (f" and {md.with_suffix('.png')}" if "scale" in results else ""))
    print(md.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
