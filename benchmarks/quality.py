"""Answer quality on the SQuAD 2.0 tuning split, dev.jsonl, the news check and the news corpus (fit and check parts,
with a table per question kind); rewrites docs/quality.md from its "## The figures" heading on, and docs/quality.png.

    .venv/bin/python benchmarks/quality.py            # tuning split: table, ablations, threshold sweep, latency
    .venv/bin/python benchmarks/quality.py --report   # also the report split (articles 7-16), once, after tuning

The threshold sweep reuses one run's answers: each answer's confidence says
whether it would be refused at another threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.evaluate import at_threshold, by_kind, evaluate, load_eval_set, table  # noqa: E402
from bot.extractive.answerer import load_models  # noqa: E402
from bot.settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
SQUAD = SHARED / "squad-v2" / "dev-v2.0-16-articles.json"
DOCS = ROOT / "docs"
NEWS = ROOT / "benchmarks" / "news"
NEWSROOM = ROOT / "benchmarks" / "newsroom"
REPORT_HISTORY = (
    "Disclosure: the report split has been run nine times, each time after a round of tuning on the tuning split "
    "and dev.jsonl only. First run (ranker of the first quality release, threshold 0.35): answered correctly "
    "0.794, cited the gold passage 0.819, refused unanswerable 0.394, wrongly refused 0.111. Second run "
    "(sentence-splitter mending, passage and paragraph features, a reported-speech answer type; threshold 0.36): "
    "0.787, 0.803, 0.400, 0.121. Third run (token-level matching, MiniLM late interaction; threshold 0.345): "
    "0.792, 0.804, 0.414, 0.126. Fourth run (the answerability model cut to the features that forward selection "
    "by leave-one-article-out AUC keeps, long sentences quoted in part around the question's terms; threshold "
    "0.365): 0.799, 0.815, 0.406, 0.126. Fifth run (the answer type taken from the question's first wh-word, "
    "quantity nouns; threshold 0.365): 0.802, 0.818, 0.408, 0.124. Sixth run (the answerability weights "
    "sign-constrained, dev.jsonl weighted 50 per question in that model; threshold 0.405): 0.813, 0.830, 0.392, "
    "0.112. Seventh run, after a negation inside a condition (\"if no …\", \"unless\", \"whether or not\") stopped "
    "counting as a negated question (threshold 0.41): 0.813, 0.830, 0.400, 0.113 was its table. Eighth run, after "
    "the models were refitted with the news corpus's fit part and their operating point read off it (threshold "
    "0.46): 0.814, 0.835, 0.366, 0.104 (answered correctly, cited the gold passage, refused unanswerable, wrongly "
    "refused). The table above is the ninth run, with the reader (issue 23) on, its joins fitted on held-out "
    "newsroom articles (threshold 0.2828): more answerable questions answered correctly, but far fewer of SQuAD's "
    "adversarial unanswerable questions refused; the reader rates SQuAD's unanswerable questions almost as high "
    "as its answerable ones (its AUC on the 10 SQuAD training articles is 0.544), and SQuAD was left out of the "
    "joins' fit because pooling it in lowered the AUC on news. No report-split figure was used to choose "
    "anything."
)
NEWS_HISTORY = (
    "Before the answerability weights were sign-constrained and a headline line stopped being quoted (the "
    "unconstrained fit, threshold 0.365), the same check gave: answered correctly 0.789, cited the gold passage 0.842, "
    "refused out-of-scope 0.381, wrongly refused 0.132. "
    "This check decided between the two fits, so it is not a held-out measurement; nothing is fitted on it."
)


def latency_ratio(sets, settings: Settings, n: int = 200) -> tuple[float, float]:
    """Median warm answer time and median time of one query embedding, measured alternately in one run."""
    import tempfile

    from bot.chain import NewsBot

    with tempfile.TemporaryDirectory() as tmp:
        bot = NewsBot(settings.model_copy(update={"data_dir": Path(tmp)}))
        biggest = max(sets, key=lambda s: len(s.items))
        bot.ingest(biggest.article)
        bot.warm_up()
        model = bot.embeddings._model()
        questions = [it.question for it in biggest.items][:n]
        for q in questions[:20]:
            bot.ask(q + " (warm)")
        answer, embed = timed(bot, model, questions)
        return float(np.median(answer)), float(np.median(embed))


def timed(bot, model, questions: list[str], article: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds of each warm answer and of one query embedding of the same question, measured alternately."""
    embed, answer = [], []
    for q in questions:
        start = time.perf_counter()
        model.embed_query(q + " ?")
        embed.append(time.perf_counter() - start)
        start = time.perf_counter()
        bot.ask(q, article=article)
        answer.append(time.perf_counter() - start)
    return np.asarray(answer) * 1000, np.asarray(embed) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="also run the report split (articles 7-16)")
    args = parser.parse_args()
    settings = Settings()
    default = settings.refusal_threshold if settings.refusal_threshold is not None else operating_point(settings)
    tuning = load_eval_set(SQUAD, "1-6")
    dev = load_eval_set(SHARED / "dev.jsonl")
    lines = ["## The figures", "",
             f"Measured by `benchmarks/quality.py` on {time.strftime('%Y-%m-%d')}; refusal threshold {default}.", ""]

    print("tuning split, with dense-only and BM25-only ablations…", flush=True)
    everything = settings.model_copy(update={"refusal_threshold": 0.0})
    runs = evaluate(tuning, {
        "hybrid": everything,
        "dense only": everything.model_copy(update={"retrieval": "dense"}),
        "BM25 only": everything.model_copy(update={"retrieval": "bm25"}),
    })
    rows = [at_threshold(name, records, default) for name, (_, records) in runs.items()]
    compare = table(rows)
    print(compare)
    lines += ["## Tuning split (SQuAD 2.0 articles 1-6), `bot eval --compare`", "",
              "Ablations use the same answerability model, fed by a single signal's ranking "
              "(dense = MiniLM cosine, BM25 = bm25s) instead of the fitted ranker.", "", compare, ""]

    dev_runs = evaluate(dev, {"hybrid": settings})
    dev_table = table([f for f, _ in dev_runs.values()])
    print(dev_table)
    lines += ["## dev.jsonl (the seed article)", "", dev_table, ""]

    news = [s for name in ("bridge-closure", "election", "vaccine-trial")
            for s in load_eval_set(NEWS / f"{name}.jsonl", article_paths=[NEWS / f"{name}.txt"])]
    news_runs = evaluate(news, {"hybrid": settings})
    news_table = table([f for f, _ in news_runs.values()])
    print(news_table)
    lines += ["## News check (benchmarks/news: three short news articles, not fitted on)", "", news_table, "", NEWS_HISTORY, ""]

    for part, about in (("fit", "the 21 fit articles: a refit may use them"),
                        ("check", "the 12 check articles: nothing is fitted or chosen on them")):
        part_runs = evaluate(load_eval_set(NEWS, part=part), {"hybrid": settings})
        part_table = table([f for f, _ in part_runs.values()]) + "\n\n" + by_kind(part_runs["hybrid"][1])
        print(part_table)
        lines += [f"## News corpus, {part} part ({about})", "", part_table, ""]

    lines += reader_sections(settings)

    records = runs["hybrid"][1]
    sweep = []
    for threshold in np.union1d(np.round(np.arange(0.0, 0.801, 0.025), 3), [default]):
        f = at_threshold("hybrid", records, float(threshold))
        sweep.append((float(threshold), f.answered_correctly, f.wrongly_refused, f.refused_unanswerable))
    lines += ["## Operating points (tuning split)", "", "![answered correctly against wrongly refused](quality.png)", "",
              "| refusal threshold | answered correctly | wrongly refused | refused unanswerable |", "|---:|---:|---:|---:|"]
    lines += [f"| {t:.3f}{' (default)' if abs(t - default) < 1e-9 else ''} | {a:.3f} | {w:.3f} | {u:.3f} |" for t, a, w, u in sweep]
    lines.append("")
    plot(sweep, default)

    answer_ms, embed_ms = latency_ratio(tuning, settings)
    latency = (f"Warm answer time (median over 200 questions, largest tuning article): {answer_ms:.2f} ms; "
               f"one query embedding in the same run: {embed_ms:.2f} ms; ratio {answer_ms / embed_ms:.2f}×.")
    print(latency)
    lines += ["## Latency", "", latency, ""]

    if args.report:
        print("report split (articles 7-16), run once…", flush=True)
        report = evaluate(load_eval_set(SQUAD, "7-16"), {"hybrid": settings})
        report_table = table([f for f, _ in report.values()])
        print(report_table)
        lines += ["## Report split (SQuAD 2.0 articles 7-16), run after tuning was frozen", "", report_table, "", REPORT_HISTORY, ""]
    page = DOCS / "quality.md"  # the hand-written part above "## The figures" stays; the figures are replaced
    kept = page.read_text(encoding="utf-8").split("\n## The figures\n")[0] if page.exists() else "# Answer quality\n"
    page.write_text(kept.rstrip("\n") + "\n\n" + "\n".join(lines), encoding="utf-8")
    print(f"wrote {DOCS / 'quality.md'}")


def operating_point(settings: Settings) -> float:
    """The refusal threshold in use: the reader's joins' (``BOT_READER``), or the ranker's weights' when off."""
    from bot.reader import load_reader

    _, combination = load_reader(settings.reader)
    return combination.threshold if combination is not None else load_models().refusal_threshold


def auc(records) -> float:
    """How well the answers' confidences separate answerable from out-of-scope questions."""
    pos = np.asarray([r.confidence for r in records if r.item.answerable and r.confidence is not None])
    neg = np.asarray([r.confidence for r in records if not r.item.answerable and r.confidence is not None])
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def reader_alone(tmp: Path) -> Path:
    """The packaged reader in a folder of its own whose joins leave today's ranker out: the reader's logit
    outweighs the ranker's score among the candidates it reads, and the refusal is its best probability alone, at the
    threshold fitted with the packaged joins (``reader_alone_threshold``)."""
    from bot.reader import packaged_path

    source = packaged_path()
    (tmp / "onnx").mkdir(parents=True)
    (tmp / "onnx" / "model_qint8.onnx").symlink_to(source / "onnx" / "model_qint8.onnx")
    (tmp / "tokenizer.json").symlink_to(source / "tokenizer.json")
    combine = json.loads((source / "reader.json").read_text(encoding="utf-8"))["combine"]
    alone = {"beta": 1000.0, "w": [0.0, 1.0, 0.0], "bias": 0.0, "threshold": combine["reader_alone_threshold"]}
    (tmp / "reader.json").write_text(json.dumps({"combine": alone}), encoding="utf-8")
    return tmp


def reader_sections(settings: Settings) -> list[str]:
    """Both check parts (the news corpus's and the newsroom corpus's), per kind: the ablation of today's ranker
    alone (``BOT_READER=off``), the packaged reader alone, and both (the default), with the refusal AUC of each."""
    from bot.reader import ONNX_FILE, packaged_path
    from bot.reader.evidence import READ_TOP

    if not (packaged_path() / ONNX_FILE).is_file():
        print("no packaged reader model: the reader sections are left out")
        return []
    tmp = Path(tempfile.mkdtemp())
    variants = {"ranker alone": settings.model_copy(update={"reader": "off", "refusal_threshold": None}),
                "reader alone": settings.model_copy(update={"reader": str(reader_alone(tmp / "alone")), "refusal_threshold": None}),
                "ranker + reader": settings.model_copy(update={"reader": "packaged", "refusal_threshold": None})}
    lines = ["## The reader on both check parts: today's ranker alone, the reader alone, both", "",
             "Nothing is fitted or chosen on either check part. Each at its own operating point. The reader alone "
             f"chooses among the ranker's {READ_TOP} best sentences and refuses by its best probability. AUC: how well the "
             "answer's confidence separates answerable from out-of-scope questions.", ""]
    for name, folder in (("news corpus", NEWS), ("newsroom corpus", NEWSROOM)):
        runs = evaluate(load_eval_set(folder, part="check"), variants)
        part_table = table([f for f, _ in runs.values()])
        aucs = " | ".join(f"{auc(records):.3f}" for _, records in runs.values())
        part_table += f"\n| refusal AUC | {aucs} |"
        kinds = "\n\n".join(f"{variant}:\n\n{by_kind(records)}" for variant, (_, records) in runs.items())
        print(part_table)
        lines += [f"### {name}, check part", "", part_table, "", kinds, ""]
    return lines


def plot(sweep, default: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, answered, wrong, refused = (np.asarray(x) for x in zip(*sweep))
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    ax.plot(wrong, answered, marker="o", ms=3, label="answered correctly")
    ax.plot(wrong, refused, marker="s", ms=3, label="refused unanswerable")
    i = int(np.argmin(np.abs(t - default)))
    ax.annotate(f"default {default}", (wrong[i], answered[i]), textcoords="offset points", xytext=(8, -14))
    ax.scatter([wrong[i]], [answered[i]], color="red", zorder=3)
    ax.axvline(0.10, color="grey", ls=":", lw=1)
    ax.set_xlabel("wrongly refused (share of answerable questions)")
    ax.set_ylabel("share")
    ax.set_title("Refusal threshold sweep, SQuAD 2.0 tuning split")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(DOCS / "quality.png")


if __name__ == "__main__":
    main()
