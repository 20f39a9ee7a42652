"""A conversation as Markdown, with its numbered sources: what a reader copies or downloads from the chat.

Each answer's own ``[n]`` markers are renumbered across the whole conversation, so
``[3]`` means the same passage wherever it appears; a passage cited twice keeps its
first number. The sources follow the conversation, each with the article's title,
its address when the article has one (an http(s) address only: nothing else becomes a
link), and the cited passage quoted in full.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.models import Answer, Citation
from index.loader import web_url

__all__ = ["conversation_markdown"]

_MARKER = re.compile(r"\[(\d+)\]")


def _quote(text: str) -> str:
    """``text`` as a Markdown block quote, one paragraph per article paragraph."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    return "\n>\n".join(f"> {p}" for p in paragraphs)


def _renumber(text: str, mapping: dict[int, int]) -> str:
    """``text`` with each citation marker renumbered by ``mapping`` (a marker not in it is kept)."""
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", text)


def conversation_markdown(
    turns: list[tuple[str, Answer | str]], title: str | None = None, urls: dict[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """The ``turns`` (question, answer) as Markdown; an answer given as plain text (a message that
    was no answer, such as a rate-limit notice) is written as it is. ``urls`` maps article ids to
    their addresses, for the sources list."""
    urls = urls or {}
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {title or 'Questions about the news'}", "",
             f"*Exported {when}. Every answer quotes the article; the numbers in brackets point at the sources below.*", ""]
    numbers: dict[tuple[str, int, int], int] = {}
    sources: list[tuple[int, Citation]] = []
    for question, answer in turns:
        lines += [f"**Q:** {' '.join(question.split())}", ""]
        if isinstance(answer, str):
            lines += [f"**A:** {answer.strip()}", ""]
            continue
        mapping: dict[int, int] = {}
        for citation in answer.citations:
            key = (citation.article_id, citation.start, citation.end)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                sources.append((numbers[key], citation))
            mapping[citation.n] = numbers[key]
        text = _renumber(answer.answer.strip(), mapping)
        lines += [f"**A:** *{text}*" if answer.refused else f"**A:** {text}", ""]
    if sources:
        lines += ["---", "", "## Sources", ""]
        for n, citation in sources:
            url = urls.get(citation.article_id)
            where = f" <{url}>" if web_url(url) else ""  # ingest takes only web addresses; an older index may hold others
            lines += [f"[{n}] **{citation.title}**{where}", "", _quote(citation.text), ""]
    return "\n".join(lines).rstrip() + "\n"
