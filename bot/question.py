"""The question, read once: what kind of thing it asks for, its terms, names, numbers and negation.

:func:`parse_question` turns a question (and its embedding) into the :class:`Parsed` form that
:mod:`bot.ranker` scores against any number of articles. Every rule here is about the shape of
English questions, never about the words of a particular one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.evidence import content_words, word_vectors
from index.terms import STOPWORDS, stem, terms, tokens

__all__ = ["Parsed", "answer_type", "focus_name", "parse_question", "question_negated"]

_QUESTION_START = re.compile(r"^\W*(?:\w+\s+){0,3}?(?i:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|might)\s+"
                             r"(?:the\s+|a\s+|an\s+)?((?:[A-Z][\w’'.-]*)(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'.-]*)*)")


_WH_WORD = re.compile(r"\b(who|whom|whose|when|where|what|which|how|why)\b")
# nouns whose value is a quantity: "What is the population of …", "What share of …"
_QUANTITY = r"(?:population|number|amount|cost|price|percentage|percent|proportion|fraction|share|total|budget|toll|age|sum)"
_STATEMENT_Q = re.compile(r"\b(say|said|says|announce|announced|claim|claimed|argue|argued|comment|commented|"
                          r"respond|responded|react|reacted|reaction|response|stance)\b")


def answer_type(question: str) -> str | None:
    """The kind of thing the question asks for: number, date, person, place, statement, or None.

    The question's first wh-word decides, so a clause later in the question does not ("*Who* led the
    troops when Cyprus fell?" asks for a person, "What happened when …" for no particular kind).
    "statement" is reported speech ("What did the ministry say …", "How did Paris react …"):
    the answer is a sentence that reports what someone said (see ``bot.evidence``).
    """
    q = question.lower()
    match = _WH_WORD.search(q)
    wh, rest = (match.group(1), q[match.end():]) if match else ("", "")
    if wh in ("who", "whom", "whose"):
        return "person"
    if wh == "when":
        return "date"
    if wh == "where":
        return "place"
    if wh == "how" and re.match(r"\s+(many|much|long|far|old|often|large|big|tall|high|few)\b", rest):
        return "number"
    if wh in ("what", "which"):
        if re.match(r"\s+(year|date|day|time|century|decade|month)\b", rest):
            return "date"
        if re.match(rf"\s+(?:(?:is|was|are|were)\s+the\s+(?:\w+\s+)?)?{_QUANTITY}\b", rest):
            return "number"
    if _STATEMENT_Q.search(q):
        return "statement"
    return None


_NEGATION = {"not", "never", "no", "without"}
_CONDITION = {"if", "unless", "whether"}


def question_negated(question: str) -> float:
    """1.0 when the question asks about something that did not happen ("Which country was *not* hit?").

    A negation after "if", "unless" or "whether" does not count: "What happens *if no* deal is
    reached?" asks what the article says will happen, and "whether or not" negates nothing."""
    for word in tokens(question):
        if word in _CONDITION:
            return 0.0
        if word in _NEGATION or word.endswith("n't"):
            return 1.0
    return 0.0


def focus_name(question: str) -> str | None:
    """The named subject of the question ("What did *the European Union* say …"), if it has one."""
    match = _QUESTION_START.match(question)
    return match.group(1) if match else None


def _names_in_question(question: str) -> set[str]:
    caps = re.findall(r"\b[A-Z][a-z]+\b", question[1:])
    return {stem(c.lower()) for c in caps}


@dataclass
class Parsed:
    """The question, prepared once for scoring against any number of articles."""

    text: str
    vector: np.ndarray
    terms: list[str]
    term_set: set[str]
    bigrams: set[tuple[str, str]]
    names: set[str]
    kind: str | None
    words: list[str]
    word_vecs: np.ndarray
    negated: float
    numbers: set[str]
    focus_terms: list[str]
    token_vecs: np.ndarray


def _content_pieces(tokens_) -> np.ndarray:
    """The question's word-piece vectors, without stop words and punctuation (all of them if nothing is left)."""
    if tokens_ is None:
        return np.zeros((0, 0), dtype=np.float32)
    keep = []
    for i, piece in enumerate(tokens_.pieces):
        word = piece[2:] if piece.startswith("##") else piece
        if any(c.isalnum() for c in word) and (piece.startswith("##") or word not in STOPWORDS):
            keep.append(i)
    return tokens_.vectors[keep] if keep else tokens_.vectors


def parse_question(question: str, vector, tokens_=None) -> Parsed:
    """The question prepared for scoring; ``tokens_`` (:class:`index.embeddings.TokenVectors`)
    enables the token-level features."""
    qterms = terms(question)
    words = sorted(set(content_words(question)))
    focus = focus_name(question)
    return Parsed(
        text=question,
        vector=np.asarray(vector, dtype=np.float32),
        terms=qterms,
        term_set=set(qterms),
        bigrams=set(zip(qterms, qterms[1:])),
        names=_names_in_question(question),
        kind=answer_type(question),
        words=words,
        word_vecs=word_vectors(words),
        negated=question_negated(question),
        numbers=set(re.findall(r"\b\d[\d,.]*\b", question)),
        focus_terms=terms(focus) if focus else [],
        token_vecs=_content_pieces(tokens_),
    )
