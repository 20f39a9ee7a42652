"""The question, read once: what kind of thing it asks for, its terms, names, numbers and negation.

:func:`parse_question` turns a question (and its embedding) into the :class:`Parsed` form that
:mod:`bot.extractive.features` scores against any number of articles. Every rule here is about the shape of
English questions, never about the words of a particular one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bot.extractive import lexicon
from bot.extractive.words import content_words, word_vectors
from index.terms import STOPWORDS, stem, terms, tokens

__all__ = ["AnswerType", "Parsed", "answer_type", "focus_name", "parse_question", "question_negated"]


class AnswerType(StrEnum):
    """The kind of thing a question asks for (a ``str``: it compares equal to its value)."""

    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    STATEMENT = "statement"  # reported speech: "What did the ministry say …", "How did Paris react …"


_WH_TYPES = {"who": AnswerType.PERSON, "whom": AnswerType.PERSON, "whose": AnswerType.PERSON,
             "when": AnswerType.DATE, "where": AnswerType.PLACE}


def answer_type(question: str) -> AnswerType | None:
    """The kind of thing the question asks for, or None.

    The question's first wh-word decides, so a clause later in the question does not ("*Who* led the
    troops when Cyprus fell?" asks for a person, "What happened when …" for no particular kind).
    A statement is reported speech: the answer is a sentence that reports what someone said.
    """
    q = question.lower()
    match = lexicon.WH_WORD.search(q)
    wh, rest = (match.group(1), q[match.end():]) if match else ("", "")
    if wh in _WH_TYPES:
        return _WH_TYPES[wh]
    if wh == "how" and lexicon.HOW_QUANTITY.match(rest):
        return AnswerType.NUMBER
    if wh in ("what", "which"):
        if lexicon.WHAT_TIME.match(rest):
            return AnswerType.DATE
        if lexicon.WHAT_QUANTITY.match(rest):
            return AnswerType.NUMBER
    if lexicon.STATEMENT_QUESTION.search(q):
        return AnswerType.STATEMENT
    return None


def question_negated(question: str) -> float:
    """1.0 when the question asks about something that did not happen ("Which country was *not* hit?").

    A negation after "if", "unless" or "whether" does not count: "What happens *if no* deal is
    reached?" asks what the article says will happen, and "whether or not" negates nothing."""
    for word in tokens(question):
        if word in lexicon.CONDITIONS:
            return 0.0
        if lexicon.negated([word], lexicon.NEGATIONS):
            return 1.0
    return 0.0


def focus_name(question: str) -> str | None:
    """The named subject of the question ("What did *the European Union* say …"), if it has one."""
    match = lexicon.QUESTION_SUBJECT.match(question)
    return match.group(1) if match else None


def _names_in_question(question: str) -> set[str]:
    caps = lexicon.CAPITALISED_WORD.findall(question[1:])
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
    kind: AnswerType | None
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


def parse_question(question: str, vector, tokens_=None, embeddings=None) -> Parsed:
    """The question prepared for scoring; ``tokens_`` (:class:`index.embeddings.TokenVectors`)
    enables the token-level features. Word vectors come from ``embeddings.word_vectors`` when the
    embeddings have one (the tests' fake embedder, ``tests/fakes.py``), else from WordLlama."""
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
        word_vecs=getattr(embeddings, "word_vectors", word_vectors)(words),
        negated=question_negated(question),
        numbers=set(lexicon.DIGITS.findall(question)),
        focus_terms=terms(focus) if focus else [],
        token_vecs=_content_pieces(tokens_),
    )
