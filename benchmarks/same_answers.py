"""Every answer, to show that a refactoring changed none: dump them before and after, then compare.

    python benchmarks/same_answers.py dump before.jsonl      # on the old commit (PYTHONPATH=its worktree)
    python benchmarks/same_answers.py dump after.jsonl
    python benchmarks/same_answers.py compare before.jsonl after.jsonl

The sets are dev.jsonl, the news check part (benchmarks/news) and SQuAD 2.0 articles 1-6, each article
indexed on its own as ``bot eval`` does. Each record is one question's answer text, refusal, confidence
and citations (article, offsets, text); ``compare`` prints a Markdown table and exits 1 when any differ.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval"
SETS = ("dev", "news-check", "squad-1-6")


def dump(out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from bot.chain import NewsBot
    from bot.evalsets import load_eval_set
    from bot.settings import Settings

    sets = {
        "dev": load_eval_set(SHARED / "dev.jsonl"),
        "news-check": load_eval_set(ROOT / "benchmarks" / "news", part="check"),
        "squad-1-6": load_eval_set(SHARED / "squad-v2" / "dev-v2.0-16-articles.json", articles="1-6"),
    }
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-same-"))
    try:
        with out.open("w", encoding="utf-8") as f:
            for name, eval_sets in sets.items():
                for i, eval_set in enumerate(eval_sets):
                    bot = NewsBot(Settings(data_dir=tmp / f"{name}{i}", collection="eval"))
                    bot.ingest(eval_set.article)
                    for item in eval_set.items:
                        a = bot.ask(item.question, item.history)
                        confidence = None if a.confidence is None else round(a.confidence, 6)
                        cited = [[c.article_id, c.start, c.end, c.text] for c in a.citations]
                        f.write(json.dumps({"set": name, "q": item.question, "answer": a.answer, "refused": a.refused,
                                            "confidence": confidence, "citations": cited}) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {out}")


def compare(before: Path, after: Path) -> int:
    b = [json.loads(line) for line in before.open(encoding="utf-8")]
    a = [json.loads(line) for line in after.open(encoding="utf-8")]
    print(f"questions: before {len(b)}, after {len(a)}\n")
    print("| set | questions | identical (answer, refused, confidence, citations) | refused before / after | citations before / after |")
    print("|---|---:|---:|---:|---:|")
    for name in SETS:
        bs, as_ = [x for x in b if x["set"] == name], [x for x in a if x["set"] == name]
        same = sum(x == y for x, y in zip(bs, as_))
        refused = f"{sum(x['refused'] for x in bs)} / {sum(x['refused'] for x in as_)}"
        cited = f"{sum(len(x['citations']) for x in bs)} / {sum(len(x['citations']) for x in as_)}"
        print(f"| {name} | {len(bs)} | {same} | {refused} | {cited} |")
    differ = sum(x != y for x, y in zip(b, a)) + abs(len(b) - len(a))
    print(f"\nrecords that differ: {differ}")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump").add_argument("out", type=Path)
    pair = sub.add_parser("compare")
    pair.add_argument("before", type=Path)
    pair.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
