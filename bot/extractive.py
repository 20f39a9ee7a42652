"""The default answerer: quotes the article's own sentences, no LLM needed.

Every sentence of the retrieved passages is scored against the question
(:func:`score_sentences`); the best one or two, in article order, become the
answer, each followed by the [n] of its passage. When the evidence as a whole is
too weak, the answerer refuses instead of guessing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from bot.citations import Claim, cite_claims
from bot.models import Answer
from index.store import StoredSentence
from index.terms import terms

__all__ = ["ExtractiveAnswerer", "ScoredSentence", "refusal_text", "answer_type"]

_YEAR_RE = re.compile(r"\b(1\d{3}|20\d{2})s?\b")
_MONTH_RE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|century|decade)\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|"
    r"million|billion|half|twice|percent)\b",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w’'.-]*)*")


def answer_type(question: str) -> str | None:
    """The kind of thing the question asks for: person, date, number, place, or None."""
    q = question.lower()
    if re.search(r"\bhow (many|much|long|far|old|often)\b|\bwhat (number|percentage|amount)\b", q):
        return "number"
    if re.search(r"\b(when|what year|which year|what date|what day|what time)\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "person"
    if re.search(r"\bwhere\b", q):
        return "place"
    return None


def _names(text: str) -> set[str]:
    """Capitalised word runs, except a lone capital that only starts the sentence."""
    found = set()
    for match in _NAME_RE.finditer(text):
        if match.start() == 0 and " " not in match.group(0):
            continue
        found.add(match.group(0).lower())
    return found


def has_type(sentence: str, kind: str | None, question: str) -> bool:
    """Whether ``sentence`` holds a thing of ``kind`` that the question itself does not name."""
    if kind is None:
        return False
    if kind == "number":
        return bool(_NUMBER_RE.search(sentence))
    if kind == "date":
        return bool(_YEAR_RE.search(sentence) or _MONTH_RE.search(sentence))
    question_terms = set(terms(question))
    return any(set(terms(name)) - question_terms for name in _names(sentence))


_AUX_RE = re.compile(
    r"^\W*(?:\w+\s+){0,3}?(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|might)\s+"
    r"(?:the\s+|a\s+|an\s+)?((?:[A-Z][\w’'.-]*)(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'.-]*)*)"
)


def focus_name(question: str) -> str | None:
    """The named subject of the question ("What did *the European Union* say …"), if it has one."""
    match = _AUX_RE.match(question)
    return match.group(1) if match else None


def refusal_text(question: str) -> str:
    """A plain refusal that restates the question."""
    q = question.strip().rstrip("?.! ")
    if q:
        q = q[0].lower() + q[1:] if not q[:2].isupper() else q
        return f"The article doesn't say: I found nothing in it that answers “{q}?”."
    return "The article doesn't say."


@dataclass
class ScoredSentence:
    sentence: StoredSentence
    passage: int
    dense: float
    lexical: float
    context: float
    typed: bool
    score: float = 0.0


def _idf(n: int, df: dict[str, int], term: str) -> float:
    return math.log((n + 1) / (df.get(term, 0) + 0.5))


def lexical_overlap(question_terms: list[str], sentence: str, n: int, df: dict[str, int]) -> float:
    """Share of the question's term weight (idf) that the sentence contains."""
    wanted = set(question_terms)
    if not wanted:
        return 0.0
    have = set(terms(sentence))
    total = sum(_idf(n, df, t) for t in wanted)
    return sum(_idf(n, df, t) for t in wanted & have) / total if total else 0.0


class ExtractiveAnswerer:
    """Answers with 1-2 quoted sentences, or refuses when the evidence is weak.

    ``store`` supplies the sentences (with vectors) inside retrieved passages and the
    article term statistics; ``embeddings`` the (memoised) question vector.
    """

    WEIGHTS = {"dense": 0.55, "lexical": 0.30, "context": 0.15, "typed": 0.08}
    TYPE_PENALTY = 0.10
    FOCUS_PENALTY = 0.25

    def __init__(self, store, embeddings, threshold: float = 0.38, max_chars: int = 400, second_margin: float = 0.06):
        self.store = store
        self.embeddings = embeddings
        self.threshold = threshold
        self.max_chars = max_chars
        self.second_margin = second_margin

    def score_sentences(self, question: str, passages: list[Document]) -> list[ScoredSentence]:
        """Every sentence inside the passages, scored against the question, best first."""
        spans = [(d.metadata["article_id"], int(d.metadata["start"]), int(d.metadata["end"])) for d in passages]
        sentences = self.store.sentences_in(spans)
        if not sentences:
            return []
        qvec = np.asarray(self.embeddings.embed_query(question))
        vectors = np.asarray([s.vector for s in sentences])
        dense = vectors @ qvec
        kind = answer_type(question)
        question_terms = terms(question)
        scored = []
        for i, sentence in enumerate(sentences):
            owners = [p for p, (a, s, e) in enumerate(spans) if a == sentence.article_id and s <= sentence.start and sentence.end <= e]
            passage = max(owners, key=lambda p: passages[p].metadata["score"])
            n, df = self.store.term_stats(sentence.article_id)
            item = ScoredSentence(
                sentence=sentence,
                passage=passage,
                dense=float(dense[i]),
                lexical=lexical_overlap(question_terms, sentence.text, n, df),
                context=float(passages[passage].metadata["score"]),
                typed=has_type(sentence.text, kind, question),
            )
            w = self.WEIGHTS
            item.score = w["dense"] * item.dense + w["lexical"] * item.lexical + w["context"] * item.context + w["typed"] * item.typed
            scored.append(item)
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def confidence(self, question: str, scored: list[ScoredSentence]) -> float:
        """How well the evidence as a whole answers the question; refuse below the threshold.

        The best sentence's score, less a penalty when the question asks for a kind
        of thing (a number, a date, a person) that the best sentence does not hold, and when the
        question's named subject does not occur in the article at all.
        """
        if not scored:
            return 0.0
        best = scored[0]
        value = best.score
        if answer_type(question) is not None and not best.typed:
            value -= self.TYPE_PENALTY
        focus = focus_name(question)
        if focus:
            _, df = self.store.term_stats(best.sentence.article_id)
            if any(df.get(t, 0) == 0 for t in terms(focus)):
                value -= self.FOCUS_PENALTY
        return value

    def answer(self, question: str, passages: list[Document], display_question: str | None = None) -> Answer:
        shown = display_question or question
        scored = self.score_sentences(question, passages)
        if self.confidence(question, scored) < self.threshold:
            return Answer(question=shown, answer=refusal_text(shown), refused=True, citations=[])
        chosen = [scored[0]]
        for other in scored[1:3]:
            if scored[0].score - other.score > self.second_margin:
                break
            if sum(len(c.sentence.text) + 5 for c in chosen) + len(other.sentence.text) + 5 <= self.max_chars:
                chosen.append(other)
                break
        chosen.sort(key=lambda s: (s.sentence.article_id, s.sentence.start))
        claims = [
            Claim(_clip(c.sentence.text, self.max_chars - 5), c.passage, [(c.sentence.start, c.sentence.end)])
            for c in chosen
        ]
        text, citations = cite_claims(claims, passages)
        return Answer(question=shown, answer=text, refused=False, citations=citations)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"
