"""The grounding guard on its labelled set (benchmarks/guard/guard.jsonl): precision and recall, per kind.

    .venv/bin/python benchmarks/guard.py          # fit on the fit articles, report both parts
    .venv/bin/python benchmarks/guard.py --write  # and write the fitted weights to bot/guard.json

Each item is one answer sentence and the exact article text it cites; the guard sees that text as
the cited passage (a Passage with its article offsets), through the real pipeline (the article
ingested into Chroma, MiniLM, WordLlama). The support model (:data:`bot.guard.GUARD_FEATURES`) is a
logistic regression fitted on the **fit** articles only; its threshold is the lowest that keeps at
most --max-kept (2 %) of the fit part's unsupported sentences. The **check** articles (the last
five, alphabetically: nothing is fitted or chosen on them) give the figures that count: unsupported
sentences kept (target <= 2 %) and supported sentences dropped (target <= 15 %).

The **adversarial** part (``benchmarks/guard/adversarial.jsonl``, its articles in ``benchmarks/guard/articles/``:
injected instructions, fake dialogue turns, bracketed footnote numbers, facts scattered over a passage, word
salad) is never fitted on: it is reported with the shipped model and the refit alike (target: unsupported kept
<= 1 %). ``--only-shipped`` skips the refit's report and prints the shipped model's figures on every part.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bot.chain import NewsBot  # noqa: E402
from bot.guard import GUARD_FEATURES, START, WEIGHTS_FILE, Guard, load_guard_model  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index.loader import Article  # noqa: E402
from index.records import Passage  # noqa: E402
from train_ranker import fit_logistic  # noqa: E402

SET = ROOT / "benchmarks" / "guard" / "guard.jsonl"
ADVERSARIAL = ROOT / "benchmarks" / "guard" / "adversarial.jsonl"
SOURCES = [ROOT / "benchmarks" / "news", ROOT / "articles", ROOT / "benchmarks" / "guard" / "articles"]
CHECK = 5  # the last five articles, alphabetically, are the check part


def _article(article_id: str) -> Article:
    for folder in SOURCES:
        path = folder / f"{article_id}.txt"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            return Article(article_id, text.strip().splitlines()[0][:120], text)
    raise SystemExit(f"no article {article_id!r} in {', '.join(map(str, SOURCES))}")


def collect(items: list[dict], data_dir: Path) -> list[dict]:
    """Each item with the guard's features, hard problems and support, through the real pipeline."""
    bot = NewsBot(Settings(data_dir=data_dir))
    for article_id in sorted({it["article"] for it in items}):
        bot.ingest(_article(article_id))
    try:
        model = load_guard_model()
    except Exception:  # noqa: BLE001 (no fitted model yet: start from the hand-set one)
        model = START
    guard = Guard(bot.evidence, bot.embeddings, model)
    rows = []
    for it in items:
        text = bot.evidence.get(it["article"]).text
        at = text.find(it["cites"])
        if at < 0:
            raise SystemExit(f"{it['id']}: cites is not the article's text")
        doc = Passage(it["article"], it["article"], it["cites"], at, at + len(it["cites"]))
        verdict = guard.check(it["sentence"], [0], [doc])
        rows.append({**it, "features": verdict.features, "hard": verdict.reason if not verdict.kept else "",
                     "rule": bool(verdict.reason) and not verdict.reason.startswith("the cited passage does not say")})
    return rows


def measure(rows: list[dict], probs: np.ndarray, threshold: float) -> dict:
    kept = np.asarray([not r["rule"] for r in rows]) & (probs >= threshold)
    sup = np.asarray([r["supported"] for r in rows])
    kinds = defaultdict(lambda: [0, 0])
    for r, k in zip(rows, kept):
        kinds[r["kind"]][0] += 1
        kinds[r["kind"]][1] += int(k)
    return {
        "supported": int(sup.sum()), "unsupported": int((~sup).sum()),
        "unsupported_kept": float((kept & ~sup).sum() / max((~sup).sum(), 1)),
        "supported_dropped": float((~kept & sup).sum() / max(sup.sum(), 1)),
        "precision": float((kept & sup).sum() / max(kept.sum(), 1)),
        "recall_of_unsupported": float((~kept & ~sup).sum() / max((~sup).sum(), 1)),
        "kinds": {k: {"n": n, "kept": round(kept_n / n, 3)} for k, (n, kept_n) in sorted(kinds.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-kept", type=float, default=0.02, help="unsupported sentences kept on the fit part, at most")
    parser.add_argument("--write", action="store_true", help=f"write the fitted model to bot/{WEIGHTS_FILE}")
    parser.add_argument("--only-shipped", action="store_true", help=f"report bot/{WEIGHTS_FILE} on every part, fit nothing")
    args = parser.parse_args()
    items = _read(SET)
    adversarial = _read(ADVERSARIAL)
    articles = sorted({it["article"] for it in items})
    check = set(articles[-CHECK:])
    with tempfile.TemporaryDirectory(prefix="newsbot-guard-") as tmp:
        rows = collect(items + adversarial, Path(tmp))
    rows, tricks = rows[: len(items)], rows[len(items):]
    fit = [r for r in rows if r["article"] not in check]
    held = [r for r in rows if r["article"] in check]
    if args.only_shipped:
        shipped = load_guard_model()
        for name, part in (("fit", fit), ("check", held), ("all", rows), ("adversarial", tricks)):
            _report(f"shipped bot/{WEIGHTS_FILE}, {name}", part, _probs(part, shipped["weights"], shipped["bias"]),
                    shipped["threshold"])
        _misses(held + tricks, _probs(held + tricks, shipped["weights"], shipped["bias"]), shipped["threshold"])
        return
    # the support model learns from what the rules let through (the rules drop the rest anyway)
    train = [r for r in fit if not r["rule"]]
    F = np.asarray([[r["features"].get(n, 0.0) for n in GUARD_FEATURES] for r in train])
    y = np.asarray([1.0 if r["supported"] else 0.0 for r in train])
    w, b, mu, sd = fit_logistic(F, y, np.ones(len(y)), l2=1e-2, steps=3000)
    weights, bias = w / sd, b - float((w * mu / sd).sum())  # in the features' own units

    def probs(part):
        return _probs(part, weights, bias)

    try:  # the shipped model, as the bot runs it (a refit depends on which model picked the supports)
        shipped = load_guard_model()
        X = np.asarray([[r["features"].get(n, 0.0) for n in GUARD_FEATURES] for r in held])
        m = measure(held, 1 / (1 + np.exp(-(X @ np.asarray(shipped["weights"]) + shipped["bias"]))), shipped["threshold"])
        print(f"shipped bot/{WEIGHTS_FILE} on the check part: unsupported kept {m['unsupported_kept']:.3f}   "
              f"supported dropped {m['supported_dropped']:.3f}")
    except Exception:  # noqa: BLE001 (no fitted model yet)
        pass
    p_fit = probs(fit)
    threshold = 0.5
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        if measure(fit, p_fit, t)["unsupported_kept"] <= args.max_kept:
            threshold = float(t)
            break
    print(f"features: {GUARD_FEATURES}\nweights: {np.round(weights, 3).tolist()} bias {bias:.3f} threshold {threshold}")
    print(f"fit articles: {', '.join(a for a in articles if a not in check)}\ncheck articles: {', '.join(sorted(check))}")
    for name, part in (("fit", fit), ("check", held), ("all", rows), ("adversarial", tricks)):
        _report(name, part, probs(part), threshold)
    _misses(held + tricks, probs(held + tricks), threshold)
    if args.write:
        out = ROOT / "bot" / WEIGHTS_FILE
        out.write_text(json.dumps({"features": GUARD_FEATURES, "weights": np.round(weights, 5).tolist(),
                                   "bias": round(bias, 5), "threshold": threshold,
                                   "fitted_on": "benchmarks/guard/guard.jsonl, fit articles",
                                   "check_articles": sorted(check)}, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _probs(part: list[dict], weights, bias: float) -> np.ndarray:
    X = np.asarray([[r["features"].get(n, 0.0) for n in GUARD_FEATURES] for r in part])
    return 1 / (1 + np.exp(-(X @ np.asarray(weights) + bias))) if len(X) else np.zeros(0)


def _report(name: str, part: list[dict], probs: np.ndarray, threshold: float) -> None:
    m = measure(part, probs, threshold)
    print(f"\n{name}: {m['supported']} supported, {m['unsupported']} unsupported sentences")
    print(f"  unsupported kept {m['unsupported_kept']:.3f}   supported dropped {m['supported_dropped']:.3f}   "
          f"precision of kept {m['precision']:.3f}   unsupported caught {m['recall_of_unsupported']:.3f}")
    print("  kind                   n   kept")
    for kind, v in m["kinds"].items():
        print(f"  {kind:<21} {v['n']:>3}  {v['kept']:.3f}")


def _misses(part: list[dict], probs: np.ndarray, threshold: float) -> None:
    """The sentences of ``part`` the guard got wrong, with why."""
    for r, p in zip(part, probs):
        if r["supported"] and (r["rule"] or p < threshold):
            print(f"  dropped supported {r['id']} ({r['hard'] or 'support'}): {r['sentence'][:100]}")
        elif not r["supported"] and not r["rule"] and p >= threshold:
            print(f"  kept unsupported {r['id']} ({r['kind']}): {r['sentence'][:100]}")


if __name__ == "__main__":
    main()
