"""The default answerer: quotes the article's own sentences, no LLM needed.

For each article among the retrieved passages, every sentence is scored against the
question by the sentence ranker (:mod:`bot.ranker`); the best one, plus the runner-up
when it is also likely, become the answer in article order, each followed by the [n]
of the passage that holds it. A sentence too long for the room left (``max_chars``,
400) is quoted in part, with "…": the run of whole words that holds the most question
terms, centred on them, since the answer is usually near them; a runner-up is quoted
only when at least :data:`MIN_PART` characters of it fit. The answerability model then looks at the
evidence as a whole (how well the best sentence matches, which question terms it
lacks, whether it holds the kind of thing asked for, whether the question's subject
occurs in the article at all) and the answerer refuses below ``threshold``.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
from langchain_core.documents import Document

from bot.citations import Claim, cite_claims
from bot.models import Answer
from bot.question import Parsed, parse_question
from bot.ranker import (
    SENTENCE_FEATURES, Models, Scored, load_models, question_features, score_features, sentence_features,
)
from index.terms import terms

__all__ = ["ExtractiveAnswerer", "refusal_text", "excerpt"]

MAX_ARTICLES = 3
MIN_PART = 100  # characters: a shorter piece of a runner-up says too little to be worth quoting
_WORD = re.compile(r"\S+")


def refusal_text(question: str) -> str:
    """A plain refusal that restates the question."""
    q = question.strip().rstrip("?.! ")
    if not q:
        return "The article doesn't say."
    if not q[:2].isupper():
        q = q[0].lower() + q[1:]
    return f"The article doesn't say: I found nothing in it that answers “{q}?”."


class ExtractiveAnswerer:
    """Answers with 1-2 quoted sentences, or refuses when the evidence is weak.

    ``rank`` picks the sentence scorer: ``"model"`` (the fitted ranker), or the
    ``"dense"``/``"bm25"`` single signals used as ablations by ``bot eval --compare``.
    """

    def __init__(
        self,
        evidence,
        embeddings,
        threshold: float = 0.5,
        max_chars: int = 400,
        second_ratio: float = 0.05,
        rank: Literal["model", "dense", "bm25"] = "model",
        models: Models | None = None,
    ) -> None:
        self.evidence = evidence
        self.embeddings = embeddings
        self.threshold = threshold
        self.max_chars = max_chars
        self.second_ratio = second_ratio
        self.rank = rank
        self.models = models or load_models()

    def _score(self, index, q, X: np.ndarray) -> Scored:
        if self.rank == "model":
            return score_features(index, q, X, self.models)
        column = SENTENCE_FEATURES.index("dense" if self.rank == "dense" else "bm25_norm")
        return score_features(index, q, X, self.models, signal=X[:, column] * 20.0)

    def evaluate(self, question: str, passages: list[Document]) -> tuple[Scored | None, Parsed | None, float]:
        """The best article's ranked sentences, the parsed question (its vector and terms, for
        composing the answer), and the probability that the sentences answer the question.

        With passages from several articles, the article is the one whose best sentence the
        prefilter likes most; only that one is ranked with token-level matching, so a question
        over a large archive pays that cost once."""
        articles = list(dict.fromkeys(d.metadata["article_id"] for d in passages))[:MAX_ARTICLES]
        if not articles:
            return None, None, 0.0
        if hasattr(self.embeddings, "embed_query_tokens"):
            vector, pieces = self.embeddings.embed_query_tokens(question)
        else:
            vector, pieces = self.embeddings.embed_query(question), None
        q = parse_question(question, vector, pieces)
        found = [(index, sentence_features(index, q)) for index in map(self.evidence.get, articles) if index.n]
        if not found:
            return None, q, 0.0
        index, X = max(found, key=lambda f: float(self.models.prefilter(f[1]).max()))
        best = self._score(index, q, X)
        return best, q, self.models.answerable(question_features(best, q))

    def answer(self, question: str, passages: list[Document], display_question: str | None = None) -> Answer:
        shown = display_question or question
        scored, q, confidence = self.evaluate(question, passages)
        if scored is None or confidence < self.threshold:
            result = Answer(question=shown, answer=refusal_text(shown), refused=True, citations=[])
            result._confidence = confidence
            return result
        chosen = self._compose(scored, q.term_set)
        index = scored.index
        docs: list[Document] = []
        claims: list[Claim] = []
        for i, a, b in chosen:
            c = int(index.sent_chunk[i])
            key = (index.article_id, int(index.chunk_starts[c]))
            found = [j for j, d in enumerate(docs) if (d.metadata["article_id"], d.metadata["start"]) == key]
            if not found:
                docs.append(
                    Document(
                        index.chunk_texts[c],
                        metadata={
                            "article_id": index.article_id, "title": index.title, "start": int(index.chunk_starts[c]),
                            "end": int(index.chunk_ends[c]), "score": float(index.chunk_vecs[c] @ q.vector),
                        },
                    )
                )
                found = [len(docs) - 1]
            start = int(index.sent_starts[i])
            claims.append(Claim(_quote(index.sent_texts[i], a, b), found[0], [(start + a, start + b)]))
        text, citations = cite_claims(claims, docs)
        result = Answer(question=shown, answer=text, refused=False, citations=citations)
        result._confidence = confidence
        return result

    def _compose(self, scored: Scored, wanted: set[str]) -> list[tuple[int, int, int]]:
        """(sentence, start, end) of what to quote: the best sentence, plus the best runner-up
        that is likely enough, in article order; each cut to the room left (see the module doc)."""
        index, order, probs = scored.index, scored.order, scored.probs
        first = int(order[0])
        a, b = excerpt(index.sent_texts[first], wanted, self.max_chars - 5)
        chosen = [(first, a, b)]
        room = self.max_chars - len(_quote(index.sent_texts[first], a, b)) - 10  # two " [n]" and a space
        for other in order[1:4]:
            other = int(other)
            if probs[other] < self.second_ratio * probs[first]:
                break
            if len(index.sent_texts[other]) <= room or room >= MIN_PART:
                chosen.append((other, *excerpt(index.sent_texts[other], wanted, room)))
                break
        return sorted(chosen)


def excerpt(text: str, wanted: set[str], limit: int) -> tuple[int, int]:
    """The part of ``text`` to quote in at most ``limit`` characters, counting a "…" for each cut end.

    All of it when it fits; otherwise the run of whole words that holds the most of the ``wanted``
    terms (:func:`index.terms.terms`), with those words as central as the room allows: an answer
    sits before the question's words as often as after them."""
    if len(text) <= limit:
        return 0, len(text)
    words = [m.span() for m in _WORD.finditer(text)]
    hits = [i for i, (s, e) in enumerate(words) if wanted & set(terms(text[s:e]))]
    n = len(words)
    best, span = (-1, -1), (0, max(limit - 1, 0))
    j = 0
    for i in range(n):
        j = max(j, i)
        while j < n and words[j][1] - words[i][0] + (i > 0) + (j + 1 < n) <= limit:
            j += 1
        if j == i:
            continue
        inside = [h for h in hits if i <= h < j]
        # context kept on the thinner side of the matched words
        margin = min(words[inside[0]][0] - words[i][0], words[j - 1][1] - words[inside[-1]][1]) if inside else 0
        if (len(inside), margin) > best:
            best, span = (len(inside), margin), (words[i][0], words[j - 1][1])
    return span


def _quote(text: str, a: int, b: int) -> str:
    return ("…" if a > 0 else "") + text[a:b] + ("…" if b < len(text) else "")
