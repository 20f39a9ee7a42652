"""The report's gaps: refused questions grouped by meaning, each group a follow-up story's brief.

The questions' MiniLM embeddings, normalised, are clustered by average link at :data:`GAP_SIMILARITY`,
each article's questions on their own (:func:`cluster`, :func:`find_gaps`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.logbook.log import QuestionRow

__all__ = ["GAP_SIMILARITY", "MAX_CLUSTERED", "Gap", "cluster", "find_gaps", "distinct", "text_key"]

#: Two groups of refused questions merge while the mean cosine similarity between their members is
#: at least this. Chosen on made-up refused questions about three articles (tests/bot/logbook/
#: test_report.py): MiniLM puts rephrasings of one question at 0.57-0.89, and different questions
#: about the same article up to 0.69 ("who leads Kalmykia" / "what is its population"; "when will
#: the tram open" / "which stops will it have"). No bar separates the two, so this one sits just
#: above the second: a group never mixes two questions (an editor would miss the one hidden behind
#: the other's examples), at the price of a rephrasing sometimes getting a group of its own.
GAP_SIMILARITY = 0.70
#: Above this many distinct refused questions in one article, the most asked ones are clustered and the
#: rest join the nearest group (or start one): average link needs memory quadratic in the count.
MAX_CLUSTERED = 3000


@dataclass(frozen=True)
class Gap:
    """Refused questions about one article that ask much the same thing: a follow-up story's brief."""

    article: str
    count: int
    examples: tuple[str, ...]
    first_day: str
    last_day: str


def text_key(question: str) -> str:
    """What two questions that differ only in case or spacing share."""
    return " ".join(question.split()).casefold()


def distinct(texts: Iterable[str]) -> list[str]:
    """The texts, whitespace collapsed, without repeats that differ only in case or spacing; first seen first."""
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(text_key(text), " ".join(text.split()))
    return list(seen.values())


def cluster(vectors: np.ndarray, similarity: float = GAP_SIMILARITY, limit: int = MAX_CLUSTERED) -> list[list[int]]:
    """Indices of ``vectors`` (unit rows) grouped by average link: groups merge while their members'
    mean cosine similarity is at least ``similarity``. Rows past ``limit`` each join the group whose
    centroid is nearest if it is close enough, else start a group (leader clustering)."""
    n = len(vectors)
    if n == 0:
        return []
    head = min(n, limit)
    if head == 1:
        labels = [0]
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        tree = linkage(vectors[:head].astype(np.float64), method="average", metric="cosine")
        labels = [int(x) - 1 for x in fcluster(tree, t=1.0 - similarity, criterion="distance")]
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[label].append(i)
    found = list(groups.values())
    if head < n:
        sums = [vectors[g].sum(axis=0) for g in found]
        for i in range(head, n):
            centroids = np.array([s / max(float(np.linalg.norm(s)), 1e-9) for s in sums])
            scores = centroids @ vectors[i]
            best = int(np.argmax(scores))
            if scores[best] >= similarity:
                found[best].append(i)
                sums[best] = sums[best] + vectors[i]
            else:
                found.append([i])
                sums.append(vectors[i].copy())
    return found


def find_gaps(refused: Sequence[tuple[str, QuestionRow]], embeddings: Embeddings,
              similarity: float = GAP_SIMILARITY) -> list[Gap]:
    """The groups of ``refused`` questions (each with the article it counts under, in the log's order)
    that ask much the same thing, each article's on their own: largest first. ``embeddings`` is asked
    once, for the distinct question texts, and only when there are some; the int8 ONNX embedder (the bot's
    default) in its fp32 form, as :data:`GAP_SIMILARITY` was chosen on fp32 vectors (int8 moves a pair's
    similarity by up to 0.04: on the test's questions, a pair of rephrasings from 0.714 to 0.687)."""
    from index.onnx_embeddings import full_precision

    if not refused:
        return []
    # one embedding per distinct question text, however often and in whichever article it was asked
    texts = distinct(r.question for _, r in refused)
    matrix = np.asarray(full_precision(embeddings).embed_documents(texts), dtype=np.float64)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    position = {text_key(t): i for i, t in enumerate(texts)}

    by_article: dict[str, list[QuestionRow]] = defaultdict(list)
    for article, r in refused:
        by_article[article].append(r)
    gaps = []
    for article, group_rows in by_article.items():
        asked = Counter(text_key(r.question) for r in group_rows)
        ranked = sorted(asked, key=lambda k: -asked[k])  # the most asked are clustered first (see MAX_CLUSTERED)
        vectors = matrix[[position[k] for k in ranked]]
        for members in cluster(vectors, similarity):
            keys = [ranked[i] for i in members]
            centre = vectors[members].mean(axis=0)
            # examples: the most asked, then the most typical of the group
            order = sorted(range(len(keys)), key=lambda j: (-asked[keys[j]], -float(vectors[members[j]] @ centre)))
            wanted = set(keys)
            days = [r.day for r in group_rows if text_key(r.question) in wanted]
            gaps.append(Gap(article=article, count=sum(asked[k] for k in keys),
                            examples=tuple(texts[position[keys[j]]] for j in order[:3]),
                            first_day=min(days), last_day=max(days)))
    # largest first; of equal ones the most recently asked, then by article
    return sorted(gaps, key=lambda g: (-g.count, -date.fromisoformat(g.last_day).toordinal(), g.article))
