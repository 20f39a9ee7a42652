"""The editors' view of the question log: counts per article and day, the most disliked answers,
and what readers asked that the article didn't answer.

:func:`build_report` turns the log's rows (:class:`bot.logbook.QuestionRow`) into a :class:`Report`;
``bot report`` prints :meth:`Report.text` and the ``/admin`` page (:mod:`bot.web.admin`) renders the
same object. The refused questions are grouped by meaning: their MiniLM embeddings, normalised,
clustered by average link at :data:`GAP_SIMILARITY`, each article's questions on their own
(:mod:`bot.logbook.gaps`); the plain text is drawn by :mod:`bot.logbook.report_text`.
"""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.logbook.gaps import GAP_SIMILARITY, Gap, cluster, distinct, find_gaps
from index.errors import InputError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.logbook import QuestionRow

# GAP_SIMILARITY, Gap and cluster are re-exported from bot.logbook.gaps
__all__ = ["parse_day", "ALL_ARTICLES", "GAP_SIMILARITY", "CSV_COLUMNS", "Tally", "DayPoint", "Disliked", "Gap", "Report",
           "build_report", "article_of", "cluster"]

#: The article a question counts under when it was asked across all articles and cited none.
ALL_ARTICLES = "(all articles)"
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
                 questions=tuple(distinct(r.question for r in group)),
                 comments=tuple(distinct(r.comment for r in group if r.comment and r.comment.strip())),
                 last_day=max(r.day for r in group))
        for (article, answer), group in ranked[:limit]
    ]


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
        gaps=find_gaps([(article_of(r), r) for r in rows if r.refused and r.question.strip()], embeddings, similarity),
        similarity=similarity,
        article=article,
        since=since,
    )
