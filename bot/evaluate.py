"""``bot eval``: answer quality on a dev.jsonl-style file or SQuAD 2.0 articles.

Every article is indexed on its own in a temporary data dir, its questions are
asked, and the figures are computed:

* answered correctly: answerable questions answered (not refused) in at most 400
  characters that contain a gold answer (SQuAD: compared after lower-casing and
  stripping punctuation and articles; dev.jsonl: every ``expect`` group matched);
* cited the gold passage: answerable questions with a citation covering the gold
  answer (SQuAD: the answer's character offset; dev.jsonl: the ``gold`` text);
* citation validity: answers whose citations are exact article spans and whose
  markers and citations match one to one;
* refused unanswerable, wrongly refused, mean answer length, p50/p95 latency.
"""

from __future__ import annotations

import re
import shutil
import string
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.citations import citation_problems
from bot.models import refusal_text
from bot.evalsets import EvalItem, EvalSet, load_eval_set
from bot.settings import Settings

__all__ = [
    "EvalItem", "EvalSet", "Figures", "at_threshold", "by_kind", "evaluate", "kind_figures", "load_eval_set", "percentile", "table",
]

MAX_ANSWER = 400


_ARTICLES_RE = re.compile(r"\b(a|an|the)\b")


def squad_normalise(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"‘", "’", "“", "”"})
    return " ".join(_ARTICLES_RE.sub(" ", text).split())


def is_correct(item: EvalItem, answer: str) -> bool:
    if len(answer) > MAX_ANSWER:
        return False
    if item.expect is not None:
        low = answer.lower()
        return all(any(s.lower() in low for s in group) for group in item.expect)
    clean = squad_normalise(answer)
    return any(squad_normalise(gold) and squad_normalise(gold) in clean for gold in item.answers)


def _cites_gold(item: EvalItem, citations) -> bool:
    if item.gold:
        return any(item.gold in c.text for c in citations)
    return any(c.start <= off < c.end for c in citations for off in item.gold_offsets)


def _valid(answer, text: str) -> bool:
    """Citation validity as ``bot eval`` has always counted it: markers and exact passage text."""
    return not citation_problems(answer.as_json(), text, highlights=False)


@dataclass
class Record:
    item: EvalItem
    refused: bool
    correct: bool
    cited_gold: bool
    valid: bool
    length: int
    seconds: float
    confidence: float | None
    guard: dict | None = None  # LLM answers: sentences written and kept (Answer.guard)
    fallback: bool = False  # the extractive answer stood in for the LLM's


def run_set(eval_set: EvalSet, variants: list[Settings]) -> list[list[Record]]:
    """Index one article once (in the first variant's data dir) and ask its questions under every variant."""
    from bot.chain import NewsBot

    NewsBot(variants[0]).ingest(eval_set.article)
    out = []
    for settings in variants:
        bot = NewsBot(settings)
        bot.warm_up()
        records = []
        for item in eval_set.items:
            start = time.perf_counter()
            answer = bot.ask(item.question, item.history)
            seconds = time.perf_counter() - start
            records.append(
                Record(
                    item=item,
                    refused=answer.refused,
                    correct=not answer.refused and is_correct(item, answer.answer),
                    cited_gold=not answer.refused and _cites_gold(item, answer.citations),
                    valid=_valid(answer, eval_set.article.text),
                    length=len(answer.answer),
                    seconds=seconds,
                    confidence=answer.confidence,
                    guard=answer.guard,
                    fallback=bool(answer.fallback),
                )
            )
        out.append(records)
    return out


@dataclass
class Figures:
    name: str
    answerable: int
    unanswerable: int
    answered_correctly: float
    cited_gold: float
    citation_validity: float
    refused_unanswerable: float
    wrongly_refused: float
    mean_answer_chars: float
    p50_ms: float
    p95_ms: float
    llm_sentences_kept: float | None = None  # LLM answerers: the share of the model's sentences the guard kept
    fallbacks: float | None = None  # LLM answerers: the share of answers the extractive answer stood in for

    ROWS = [
        ("answered correctly", "answered_correctly", "{:.3f}"),
        ("cited the gold passage", "cited_gold", "{:.3f}"),
        ("citation validity", "citation_validity", "{:.3f}"),
        ("refused out-of-scope/unanswerable", "refused_unanswerable", "{:.3f}"),
        ("wrongly refused", "wrongly_refused", "{:.3f}"),
        ("mean answer length (chars)", "mean_answer_chars", "{:.0f}"),
        ("p50 latency (ms)", "p50_ms", "{:.1f}"),
        ("p95 latency (ms)", "p95_ms", "{:.1f}"),
    ]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank; 0 for none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def figures(name: str, records: list[Record]) -> Figures:
    ans = [r for r in records if r.item.answerable]
    una = [r for r in records if not r.item.answerable]
    answered = [r for r in records if not r.refused]
    ratio = lambda part, whole: (len(part) / len(whole)) if whole else 0.0  # noqa: E731
    return Figures(
        name=name,
        answerable=len(ans),
        unanswerable=len(una),
        answered_correctly=ratio([r for r in ans if r.correct], ans),
        cited_gold=ratio([r for r in ans if r.cited_gold], ans),
        citation_validity=ratio([r for r in records if r.valid], records),
        refused_unanswerable=ratio([r for r in una if r.refused], una),
        wrongly_refused=ratio([r for r in ans if r.refused], ans),
        mean_answer_chars=sum(r.length for r in answered) / len(answered) if answered else 0.0,
        p50_ms=percentile([r.seconds * 1000 for r in records], 0.5),
        p95_ms=percentile([r.seconds * 1000 for r in records], 0.95),
        **_llm_figures(records),
    )


def _llm_figures(records: list[Record]) -> dict:
    guarded = [r.guard for r in records if r.guard is not None]
    if not guarded:
        return {}
    written = sum(g["sentences"] for g in guarded)
    return {"llm_sentences_kept": sum(g["kept"] for g in guarded) / written if written else 0.0,
            "fallbacks": sum(r.fallback for r in records) / len(records)}


def evaluate(sets: list[EvalSet], variants: dict[str, Settings]) -> dict[str, tuple[Figures, list[Record]]]:
    """Run every set under every named settings variant; each article is indexed once, on its own,
    in a temporary data dir."""
    names = list(variants)
    records: dict[str, list[Record]] = {name: [] for name in names}
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-eval-"))
    try:
        for number, eval_set in enumerate(sets):
            where = {"data_dir": tmp / f"set{number}", "collection": "eval"}
            runs = run_set(eval_set, [variants[name].model_copy(update=where) for name in names])
            for name, run in zip(names, runs):
                records[name] += run
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: (figures(name, records[name]), records[name]) for name in names}


def at_threshold(name: str, records: list[Record], threshold: float) -> Figures:
    """The figures the same answers would give with another refusal threshold (from their confidences)."""
    moved = []
    for r in records:
        refused = r.refused if r.confidence is None else r.confidence < threshold
        if refused == r.refused:
            moved.append(r)
        elif refused:  # newly refused: the refusal text is short and valid
            moved.append(Record(r.item, True, False, False, True, len(refusal_text(r.item.question)), r.seconds, r.confidence))
        else:  # was refused, would answer: unknown answer; count as wrong (only happens when lowering)
            moved.append(Record(r.item, False, False, False, True, r.length, r.seconds, r.confidence))
    return figures(name, moved)


def table(rows: list[Figures]) -> str:
    """A Markdown table, one column per configuration."""
    head = "| metric | " + " | ".join(f.name for f in rows) + " |"
    sep = "|---|" + "---:|" * len(rows)
    counts = "| questions (answerable / unanswerable) | " + " | ".join(f"{f.answerable} / {f.unanswerable}" for f in rows) + " |"
    lines = [head, sep, counts]
    for label, attr, fmt in Figures.ROWS:
        lines.append(f"| {label} | " + " | ".join(fmt.format(getattr(f, attr)) for f in rows) + " |")
    for label, attr in (("LLM sentences kept by the guard", "llm_sentences_kept"), ("extractive fallbacks", "fallbacks")):
        if any(getattr(f, attr) is not None for f in rows):
            lines.append(f"| {label} | " + " | ".join("–" if getattr(f, attr) is None else f"{getattr(f, attr):.3f}"
                                                    for f in rows) + " |")
    return "\n".join(lines)


def kind_figures(records: list[Record]) -> dict[str, dict]:
    """Per question kind: how many, answered correctly (answerable kinds; None for the others), refused."""
    out = {}
    for kind in dict.fromkeys(r.item.kind for r in records if r.item.kind):
        rows = [r for r in records if r.item.kind == kind]
        out[kind] = {
            "questions": len(rows),
            "answered_correctly": sum(r.correct for r in rows) / len(rows) if rows[0].item.answerable else None,
            "refused": sum(r.refused for r in rows) / len(rows),
        }
    return out


def by_kind(records: list[Record]) -> str:
    """:func:`kind_figures` as a Markdown table ("" when the questions have no kinds)."""
    kinds = kind_figures(records)
    if not kinds:
        return ""
    lines = ["| kind | questions | answered correctly | refused |", "|---|---:|---:|---:|"]
    for kind, f in kinds.items():
        correct = "–" if f["answered_correctly"] is None else f"{f['answered_correctly']:.3f}"
        lines.append(f"| {kind} | {f['questions']} | {correct} | {f['refused']:.3f} |")
    return "\n".join(lines)
