"""Training pairs for the reader: (question, a sentence in its context) → does this sentence answer it?

What teaches *answerability* rather than relevance (issue 23): every question brings its hardest
negatives, the sentences today's ranker puts highest that do not answer it; an out-of-scope question
brings its top sentences and the sentence it was written to tempt (``tempting`` in the corpus), all
labelled 0. A sentence is shown to the reader with what resolves it: the article's title and the
sentence before it (:func:`context`), the sentence first, so that truncation cuts the context, never
the sentence.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Pair", "context", "overlapping", "question_pairs"]

#: Hard negatives per question, from the top of the ranker's order.
HARD_NEGATIVES = 4
#: Positives per answerable question at most (a gold answer may span two sentences).
MAX_POSITIVES = 2


@dataclass(frozen=True)
class Pair:
    question: str
    passage: str
    label: float
    group: str  # the article: pairs of one article stay on one side of a held-out split
    source: str  # squad, news, newsroom, dev


def context(sentences: Sequence[str], i: int, title: str) -> str:
    """Sentence ``i`` as the reader sees it: the sentence, then the title and the sentence before it."""
    before = sentences[i - 1] if i > 0 else ""
    return f"{sentences[i]} [SEP] {title}. {before}".strip()


def overlapping(starts: Sequence[int], ends: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[int]:
    """The sentences (by index) that overlap any of the character ``spans``."""
    return [i for i, (s, e) in enumerate(zip(starts, ends)) if any(s < b and a < e for a, b in spans)]


def question_pairs(
    question: str,
    sentences: Sequence[str],
    starts: Sequence[int],
    ends: Sequence[int],
    title: str,
    order: Sequence[int],
    *,
    answerable: bool,
    gold: Sequence[tuple[int, int]] = (),
    tempting: Sequence[tuple[int, int]] = (),
    group: str = "",
    source: str = "",
    rng: random.Random | None = None,
) -> list[Pair]:
    """The pairs of one question: its gold sentences (1), the ranker's best other sentences (0), the
    sentences it tempts (0), and one random sentence (0) so easy cases are not forgotten.

    ``order`` is the ranker's order of the article's sentences, best first. An answerable question
    whose gold span matches no sentence gives no pairs (it cannot teach which sentence answers)."""
    rng = rng or random.Random(0)
    positives = overlapping(starts, ends, gold)[:MAX_POSITIVES] if answerable else []
    if answerable and not positives:
        return []
    taken = set(positives)
    negatives = [i for i in order if i not in taken][:HARD_NEGATIVES]
    negatives += [i for i in overlapping(starts, ends, tempting) if i not in taken and i not in negatives]
    rest = [i for i in range(len(sentences)) if i not in taken and i not in negatives]
    if rest:
        negatives.append(rng.choice(rest))
    make = lambda i, label: Pair(question, context(sentences, i, title), label, group, source)  # noqa: E731
    return [make(i, 1.0) for i in positives] + [make(i, 0.0) for i in negatives]
