"""[n] markers and the citations they point at.

Both answerers end here: the extractive one names the passage behind each
sentence it quotes; the LLM's text is parsed for markers. Either way the
citations are numbered 1..m in order of first use, every marker has its
citation, and every citation is cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.models import Citation
from index.chunking import split_sentences
from index.records import Passage
from index.terms import terms

__all__ = ["Claim", "citation_problems", "cite_claims", "renumber_markers", "MARKER_RE", "passage_of", "unmark",
           "ARTICLE_MARKER"]

MARKER_RE = re.compile(r"\s?\[(\d{1,3})\]")
_GROUP_RE = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})+)\]")
#: a marker-like note in an article's own text (a footnote "[7]", "[2][3]", "[5, 6]", "[^1]", "【1】"), with the
#: spaces before it: quoted as is, it would read as one of the bot's citation markers
ARTICLE_MARKER = re.compile(r"[ \t]*(?:\[\s*\^?\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\]|【\s*\d{1,3}\s*】)+")


def unmark(text: str) -> str:
    """``text`` without the marker-like notes of the article's own (:data:`ARTICLE_MARKER`), so the only
    markers in an answer are the bot's (``"… resigned.[1]"`` is quoted as ``"… resigned."``)."""
    return ARTICLE_MARKER.sub("", text) if "[" in text or "【" in text else text


@dataclass
class Claim:
    """One sentence of an answer and the retrieved passage (by index) that supports it."""

    text: str
    passage: int
    highlights: list[tuple[int, int]] = field(default_factory=list)


def passage_of(passage: Passage, n: int, highlights: list[tuple[int, int]] | None = None) -> Citation:
    """``passage`` cited as ``[n]`` (0: shown, not cited), its score rounded for the JSON contract."""
    return Citation(
        n=n,
        article_id=passage.article_id,
        title=passage.title,
        text=passage.text,
        start=passage.start,
        end=passage.end,
        score=round(float(passage.score), 4),
        highlights=highlights or [],
    )


def cite_claims(claims: list[Claim], passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Join claims into answer text, each followed by its passage's [n]."""
    numbers: dict[int, int] = {}
    highlights: dict[int, list[tuple[int, int]]] = {}
    parts = []
    for claim in claims:
        n = numbers.setdefault(claim.passage, len(numbers) + 1)
        highlights.setdefault(claim.passage, []).extend(claim.highlights)
        parts.append(f"{claim.text} [{n}]")
    citations = [passage_of(passages[p], n, sorted(set(highlights[p]))) for p, n in numbers.items()]
    return " ".join(parts), citations


def renumber_markers(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Keep markers that point at a retrieved passage (1-based), drop the rest, renumber by first use.

    ``[1, 3]`` groups are split into ``[1][3]`` first.
    """
    text = _GROUP_RE.sub(lambda m: "".join(f"[{x.strip()}]" for x in m.group(1).split(",")), text)
    numbers: dict[int, int] = {}

    def replace(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        if not 0 <= index < len(passages):
            return ""
        n = numbers.setdefault(index, len(numbers) + 1)
        return f" [{n}]"

    claims: dict[int, str] = {}
    last = 0
    for match in MARKER_RE.finditer(text):
        index = int(match.group(1)) - 1
        claims[index] = claims.get(index, "") + " " + text[last : match.start()]
        last = match.end()
    cleaned = MARKER_RE.sub(replace, text)
    cleaned = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", cleaned)  # "[1] [1]" -> "[1]"
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned).strip()
    citations = [passage_of(passages[p], n, _best_sentence(passages[p], claims.get(p, ""))) for p, n in numbers.items()]
    return cleaned, citations


def _best_sentence(passage: Passage, claim: str) -> list[tuple[int, int]]:
    """The passage sentence sharing the most words with ``claim``: what the UI highlights."""
    wanted = set(terms(claim))
    sentences = split_sentences(passage.text, passage.start)
    if not sentences or not wanted:
        return []
    best = max(sentences, key=lambda s: len(wanted & set(terms(s.text))))
    return [(best.start, best.end)] if wanted & set(terms(best.text)) else []


def citation_problems(answer: dict, texts: dict[str, str] | str, highlights: bool = True) -> list[str]:
    """What breaks the citation contract in ``answer`` (the ``bot ask --json`` object), if anything:
    every ``[n]`` has its citation and every citation is cited, each citation's ``text`` is exactly
    its article's ``text[start:end]`` (``texts`` by article id, or one text for all; the ``related``
    passage too), and (with
    ``highlights``) each highlight lies inside its passage. Empty when the answer keeps the contract."""
    problems = []
    markers = {int(n) for n in MARKER_RE.findall(answer["answer"])}
    cited = {c["n"] for c in answer["citations"]}
    if markers != cited:
        problems.append(f"markers {sorted(markers)} but citations {sorted(cited)}")
    for c in answer["citations"] + answer.get("related", []):
        text = texts if isinstance(texts, str) else texts.get(c["article_id"], "")
        if text[c["start"] : c["end"]] != c["text"]:
            problems.append(f"[{c['n']}]: text is not the article's characters {c['start']}-{c['end']}")
        if highlights and any(not c["start"] <= a < b <= c["end"] for a, b in c.get("highlights", [])):
            problems.append(f"[{c['n']}]: a highlight lies outside the passage")
    return problems
