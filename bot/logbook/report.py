"""The editors' view of the question log: counts per article and day, the most disliked answers,
and what readers asked that the article didn't answer.

:func:`build_report` turns the log's rows (:class:`bot.logbook.QuestionRow`) into a :class:`Report`;
``bot report`` prints :meth:`Report.text` and the ``/admin`` page (:mod:`bot.web.admin`) renders the
same object. The refused questions are grouped by meaning: their MiniLM embeddings, normalised,
clustered by average link at :data:`GAP_SIMILARITY`, each article's questions on their own.
"""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from index.errors import InputError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.logbook import QuestionRow

__all__ = ["parse_day", "ALL_ARTICLES", "GAP_SIMILARITY", "CSV_COLUMNS", "Tally", "DayPoint", "Disliked", "Gap", "Report", "build_report", "article_of", "cluster"]

#: The article a question counts under when it was asked across all articles and cited none.
ALL_ARTICLES = "(all articles)"
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
#: The CSV's header, one row per article and day.
CSV_COLUMNS = ("article", "day", "questions", "answered", "refused", "answered_share", "refused_share",
               "liked", "disliked", "median_latency_ms")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Tally:
    """Questions about one article on one day; ``day`` is ``""`` for the totals of an article or of all."""

    article: str
    day: str
    questions: int
    answered: int
    refused: int
    liked: int
    disliked: int
    median_latency_ms: float

    @property
    def answered_share(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def refused_share(self) -> float:
        return self.refused / self.questions if self.questions else 0.0

    def as_json(self) -> dict:
        return {**asdict(self), "answered_share": self.answered_share, "refused_share": self.refused_share}


@dataclass(frozen=True)
class DayPoint:
    """One day of the plot: the questions asked (all articles) and how many were refused."""

    day: str
    questions: int
    refused: int

    @property
    def refused_share(self) -> float:
        return self.refused / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class Disliked:
    """One answer (the same text about the same article) and the readers' 👎 on it."""

    article: str
    answer: str
    dislikes: int
    refused: bool
    questions: tuple[str, ...]
    comments: tuple[str, ...]
    last_day: str


@dataclass(frozen=True)
class Gap:
    """Refused questions about one article that ask much the same thing: a follow-up story's brief."""

    article: str
    count: int
    examples: tuple[str, ...]
    first_day: str
    last_day: str


@dataclass
class Report:
    """Everything the editors see; ``days`` lists per article and day, oldest first within each article."""

    days: list[Tally]
    articles: list[Tally]
    total: Tally
    daily: list[DayPoint]
    disliked: list[Disliked]
    gaps: list[Gap]
    similarity: float = GAP_SIMILARITY
    article: str | None = field(default=None)
    since: date | None = field(default=None)

    @property
    def empty(self) -> bool:
        return self.total.questions == 0

    def text(self, disliked: int = 10, gaps: int = 15) -> str:
        """The plain-text report ``bot report`` prints: aligned tables, then the disliked answers and the gaps."""
        return _text(self, disliked, gaps)

    def write_csv(self, target: str | Path | TextIO) -> None:
        """One row per article and day under a header (:data:`CSV_COLUMNS`), shares as fractions 0-1,
        to a file path or an open text file."""
        if not hasattr(target, "write"):
            with open(target, "w", encoding="utf-8", newline="") as out:
                return self.write_csv(out)
        writer = csv.writer(target)
        writer.writerow(CSV_COLUMNS)
        for t in self.days:
            writer.writerow([_cell(t.article), t.day, t.questions, t.answered, t.refused, f"{t.answered_share:.4f}",
                             f"{t.refused_share:.4f}", t.liked, t.disliked, f"{t.median_latency_ms:.1f}"])

    def as_json(self) -> dict:
        """The report as JSON-ready data (``bot report --json``)."""
        return {
            "article": self.article,
            "since": self.since.isoformat() if self.since else None,
            "total": self.total.as_json(),
            "articles": [t.as_json() for t in self.articles],
            "days": [t.as_json() for t in self.days],
            "daily": [{**asdict(p), "refused_share": p.refused_share} for p in self.daily],
            "disliked": [asdict(d) for d in self.disliked],
            "gaps": [asdict(g) for g in self.gaps],
            "similarity": self.similarity,
        }


def parse_day(text: str | None, what: str = "--since") -> date | None:
    """``YYYY-MM-DD`` as a date (None for none given); anything else is an :class:`InputError` naming ``what``."""
    if text is None or not text.strip():
        return None
    try:
        if not _DAY.fullmatch(text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what} {text!r} is not a day: use YYYY-MM-DD, e.g. {date.today().isoformat()}") from None


def _cell(text: str) -> str:
    # a spreadsheet runs a cell that starts like a formula: an article id is text, keep it text
    return "'" + text if text.startswith(_FORMULA_START) else text


def article_of(row: QuestionRow) -> str:
    """The article a question counts under: its scope, else the article its answer cited, else all articles."""
    return row.article or row.cited_article or ALL_ARTICLES


def _tally(article: str, day: str, rows: Sequence[QuestionRow]) -> Tally:
    refused = sum(r.refused for r in rows)
    return Tally(
        article=article, day=day, questions=len(rows), answered=len(rows) - refused, refused=refused,
        liked=sum(r.liked is True for r in rows), disliked=sum(r.liked is False for r in rows),
        median_latency_ms=float(statistics.median(r.latency_ms for r in rows)) if rows else 0.0,
    )


def _daily(rows: Sequence[QuestionRow]) -> list[DayPoint]:
    """Every day from the first question to the last, days without questions as zeros (a plot's even time axis)."""
    if not rows:
        return []
    asked = Counter(r.day for r in rows)
    refused = Counter(r.day for r in rows if r.refused)
    day, last = date.fromisoformat(min(asked)), date.fromisoformat(max(asked))
    points = []
    while day <= last:
        key = day.isoformat()
        points.append(DayPoint(key, asked[key], refused[key]))
        day += timedelta(days=1)
    return points


def _disliked(rows: Sequence[QuestionRow], limit: int | None) -> list[Disliked]:
    groups: dict[tuple[str, str], list[QuestionRow]] = defaultdict(list)
    for r in rows:
        if r.liked is False:
            groups[(article_of(r), r.answer)].append(r)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), -max(r.id for r in kv[1])))
    return [
        Disliked(article=article, answer=answer, dislikes=len(group), refused=group[-1].refused,
                 questions=tuple(_distinct(r.question for r in group)),
                 comments=tuple(_distinct(r.comment for r in group if r.comment and r.comment.strip())),
                 last_day=max(r.day for r in group))
        for (article, answer), group in ranked[:limit]
    ]


def _key(question: str) -> str:
    return " ".join(question.split()).casefold()


def _distinct(texts: Iterable[str]) -> list[str]:
    """The texts, whitespace collapsed, without repeats that differ only in case or spacing; first seen first."""
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(_key(text), " ".join(text.split()))
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


def _gaps(rows: Sequence[QuestionRow], embeddings: Embeddings, similarity: float) -> list[Gap]:
    refused = [r for r in rows if r.refused and r.question.strip()]
    if not refused:
        return []
    # one embedding per distinct question text, however often and in whichever article it was asked
    texts = _distinct(r.question for r in refused)
    matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float64)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    position = {_key(t): i for i, t in enumerate(texts)}

    by_article: dict[str, list[QuestionRow]] = defaultdict(list)
    for r in refused:
        by_article[article_of(r)].append(r)
    gaps = []
    for article, group_rows in by_article.items():
        asked = Counter(_key(r.question) for r in group_rows)
        distinct = sorted(asked, key=lambda k: -asked[k])  # the most asked are clustered first (see MAX_CLUSTERED)
        vectors = matrix[[position[k] for k in distinct]]
        for members in cluster(vectors, similarity):
            keys = [distinct[i] for i in members]
            centre = vectors[members].mean(axis=0)
            # examples: the most asked, then the most typical of the group
            order = sorted(range(len(keys)), key=lambda j: (-asked[keys[j]], -float(vectors[members[j]] @ centre)))
            wanted = set(keys)
            days = [r.day for r in group_rows if _key(r.question) in wanted]
            gaps.append(Gap(article=article, count=sum(asked[k] for k in keys),
                            examples=tuple(texts[position[keys[j]]] for j in order[:3]),
                            first_day=min(days), last_day=max(days)))
    # largest first; of equal ones the most recently asked, then by article
    return sorted(gaps, key=lambda g: (-g.count, -date.fromisoformat(g.last_day).toordinal(), g.article))


def build_report(
    rows: Sequence[QuestionRow],
    embeddings: Embeddings,
    *,
    similarity: float = GAP_SIMILARITY,
    disliked: int | None = None,
    article: str | None = None,
    since: date | None = None,
) -> Report:
    """The report on ``rows`` (as :meth:`Logbook.rows` returns them). ``embeddings`` (any LangChain
    :class:`Embeddings`; the bot's MiniLM) is asked only when some question was refused.
    ``disliked`` caps the answers kept in :attr:`Report.disliked`; ``article`` and ``since`` only
    record the filter the rows were read with."""
    by_day: dict[tuple[str, str], list[QuestionRow]] = defaultdict(list)
    by_article: dict[str, list[QuestionRow]] = defaultdict(list)
    for r in rows:
        by_day[(article_of(r), r.day)].append(r)
        by_article[article_of(r)].append(r)
    return Report(
        days=[_tally(a, d, group) for (a, d), group in sorted(by_day.items())],
        articles=sorted((_tally(a, "", group) for a, group in by_article.items()), key=lambda t: (-t.questions, t.article)),
        total=_tally("all", "", list(rows)),
        daily=_daily(rows),
        disliked=_disliked(rows, disliked),
        gaps=_gaps(rows, embeddings, similarity),
        similarity=similarity,
        article=article,
        since=since,
    )


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> list[str]:
    """Aligned columns: the first ``left`` to the left, the others (numbers) to the right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(cell).ljust(w) if i < left else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
        for row in [header, *rows]
    ]


def _cells(t: Tally, day: bool = True) -> list[str]:
    return [_short(t.article, 40), *([t.day] if day else []), str(t.questions), str(t.answered), f"{t.answered_share:.0%}", str(t.refused),
            f"{t.refused_share:.0%}", str(t.liked), str(t.disliked), f"{t.median_latency_ms:.0f}"]


def _text(report: Report, disliked: int, gaps: int) -> str:
    header = ["article", "day", "questions", "answered", "share", "refused", "share", "liked", "disliked", "median ms"]
    span = f"{report.daily[0].day} to {report.daily[-1].day}" if report.daily else "no days"
    lines = [f"Questions per article and day ({report.total.questions} questions, {span})", ""]
    lines += _table(header, [_cells(t) for t in report.days] + [_cells(report.total)])
    if len(report.articles) > 1:
        lines += ["", "Per article", ""]
        lines += _table([h for h in header if h != "day"], [_cells(t, day=False) for t in report.articles], left=1)

    lines += ["", "Most disliked answers", ""]
    if not report.disliked:
        lines.append("  (no answer was disliked)")
    for n, d in enumerate(report.disliked[:disliked], 1):
        lines.append(f"{n:2}. {d.dislikes} dislike{'s' * (d.dislikes != 1)}  {d.article}  (last {d.last_day}){'  [refusal]' * d.refused}")
        lines.append(f"    answer:  {_short(d.answer, 160)}")
        lines += [f"    asked:   {_short(q, 160)}" for q in d.questions[:3]]
        lines += [f"    comment: {_short(c, 160)}" for c in d.comments[:5]]
        if len(d.comments) > 5:
            lines.append(f"    … and {len(d.comments) - 5} more comments")

    lines += ["", "What readers asked that the article didn't answer", ""]
    if not report.gaps:
        lines.append("  (no question was refused)")
    for n, g in enumerate(report.gaps[:gaps], 1):
        when = g.first_day if g.first_day == g.last_day else f"{g.first_day} to {g.last_day}"
        lines.append(f"{n:2}. {g.count} question{'s' * (g.count != 1)}  {g.article}  ({when})")
        lines += [f"    - {_short(q, 160)}" for q in g.examples]
    if len(report.gaps) > gaps:
        lines.append(f"    … and {len(report.gaps) - gaps} smaller groups (bot report --json lists them all)")
    return "\n".join(lines)
