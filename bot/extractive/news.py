"""News structure: datelines, credit lines and bylines, and the reader questions they answer.

Wire copy opens its lede with a dateline (``LISBON, March 3 (Reuters) - ``) and closes with a
credit line (``Reporting by …; Editing by …``), or carries a byline (``By Name``) under the
headline. A dateline stays in the text and its offsets but is never quoted as part of an answer,
except to a question about the agency or the place the story was filed from; a credit line or
a byline is never quoted either, except to a question about who wrote, reported or edited the
story. Every rule is about the shape of news copy and of such questions, for any article.
"""

from __future__ import annotations

import re

__all__ = ["dateline_end", "is_credit", "asks_author", "asks_source"]

# An upper-case place, optionally a region, optionally a date, optionally (Agency), then a dash.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,3})"
    r"(?:,\s+[A-Z][A-Za-z.'’-]+(?:\s+[A-Z][A-Za-z.'’-]+){0,2})??"
    r"(?:,\s+(?P<date>[A-Z][a-z]{2,9}\.?\s+\d{1,2}(?:,\s+\d{4})?))?"
    r"\s*(?:\((?P<agency>[^()\n]{2,60})\))?"
    r"\s*[-–—]{1,2}\s+"
)
_CREDIT = re.compile(
    r"\(?\s*(?:(?:additional|further)\s+)?(?:reporting|writing|editing|written|edited|compiled|produced|reported)"
    r"(?:\s+and\s+\w+)?\s+by\s+[A-Z]",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"By\s+[A-Z][\w’'.-]+(?:\s+(?:[A-Z][\w’'.-]+|de|van|von|da|al|and))*\s*(?:,.{0,60})?")
_STORY_WORDS = r"this|it|the\s+(?:story|article|report|piece|news\s+report)"  # the story itself
_STORY = rf"(?:{_STORY_WORDS})"
_AUTHOR = re.compile(
    rf"\bwho\b[^?]*\b(?:wrote|write|written|writes|edited|authored|compiled|filed|reported\s+on)\s+{_STORY}"
    rf"|\bwho\s+(?:is|was|are|were)\s+(?:the\s+)?(?:author|writer|reporter|journalist|editor)s?\b"
    rf"|\b(?:author|writer|reporter|journalist|editor|byline)s?\s+(?:of|on|for)\s+{_STORY}"
    rf"|\bwhose\s+byline\b|\bwho\s+(?:wrote|edited|reported)\s*(?:this|it)?\s*\??\s*$",
    re.IGNORECASE,
)
_SOURCE = re.compile(
    r"\b(?:news\s+agency|wire\s+service|newswire|news\s+wire|news\s+service|press\s+agency)\b"
    rf"|\bagency\b[^?]*\b(?:filed|carried|published|distributed|{_STORY_WORDS})\b"
    rf"|\bwhere\b[^?]*\b(?:reported|filed|written|datelined)\s+from\b|\bwhere\s+(?:is|was)\s+{_STORY}\s+from\b"
    r"|\bdateline\b",
    re.IGNORECASE,
)


def dateline_end(sentence: str) -> int:
    """Where the dateline that opens ``sentence`` ends (0 when it has none).

    A run of upper-case words before a dash counts only with a date or an agency in
    brackets, so an acronym that opens a sentence ("NATO - the alliance …") is no dateline."""
    match = _DATELINE.match(sentence)
    if not match or not (match.group("date") or match.group("agency")) or match.end() >= len(sentence):
        return 0
    return match.end()


def is_credit(sentence: str, whole_line: bool) -> bool:
    """Whether ``sentence`` is a credit line or a byline: a line of its own (``whole_line``), short,
    that names who reported, wrote or edited the story."""
    text = sentence.strip()
    if not whole_line or len(text) > 240:
        return False
    return bool(_CREDIT.match(text) or _BYLINE.fullmatch(text))


def asks_author(question: str) -> bool:
    """A question about who wrote, reported or edited the story itself ("Who wrote this article?")."""
    return bool(_AUTHOR.search(question))


def asks_source(question: str) -> bool:
    """A question about the agency that filed the story, or the place it was filed from."""
    return bool(_SOURCE.search(question))
