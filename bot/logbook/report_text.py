"""The editors' report as plain text, for ``bot report``: :func:`render`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.logbook.report import Report, Tally

__all__ = ["render"]


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


def render(report: Report, disliked: int = 10, gaps: int = 15) -> str:
    """The plain-text report ``bot report`` prints: aligned tables, then the disliked answers and the gaps."""
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
