"""The default answerer: quotes the article's own sentences, no LLM needed.

One question's path (``docs/architecture.md`` draws it): the question is parsed once
(:mod:`~bot.extractive.question`); for each article among the retrieved passages its cached
:class:`~bot.extractive.article.ArticleIndex` gives every sentence's features
(:mod:`~bot.extractive.features`); the article whose best sentence the prefilter likes most is
ranked (:mod:`~bot.extractive.ranking`); the answerability model looks at the evidence as a
whole (:mod:`~bot.extractive.answerability`) and the answerer refuses below ``threshold``;
otherwise the best sentence, plus the runner-up when it is also likely, are quoted
(:mod:`~bot.extractive.quote`), each followed by the [n] of the passage that holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from bot.citations import Claim, cite_claims, passage_of, unmark
from bot.extractive import lexicon, news
from bot.extractive.answerability import QUESTION_FEATURES, question_features
from bot.extractive.features import RANK_FEATURES, SENTENCE_FEATURES, sentence_features
from bot.extractive.question import AnswerType, Parsed, parse_question
from bot.extractive.quote import compose, part, quote
from bot.extractive.ranking import Scored, score_features
from bot.extractive.weights import FeatureNames, Models, WeightsError, load_weights
from bot.models import Answer, Citation, refusal_text
from bot.reader.evidence import Combination, read, rerank
from index.embeddings import TokenEmbeddings
from index.errors import BotError
from index.records import Passage
from index.terms import terms

if TYPE_CHECKING:
    from bot.reader.model import Reader

__all__ = ["ExtractiveAnswerer", "FEATURE_NAMES", "MAX_ARTICLES", "load_models"]

MAX_ARTICLES = 3
#: the columns this package computes for each model, which the weights file must match
FEATURE_NAMES = FeatureNames(tuple(SENTENCE_FEATURES.names), tuple(RANK_FEATURES.names), tuple(QUESTION_FEATURES.names))


def load_models(path: str | None = None) -> Models:
    """The fitted weights (the packaged file, or the one at ``path``) for :data:`FEATURE_NAMES`;
    a missing file or one fitted for other features is a :class:`~index.errors.BotError`."""
    try:
        return load_weights(FEATURE_NAMES, path)
    except WeightsError as exc:
        raise BotError(str(exc)) from None


class ExtractiveAnswerer:
    """Answers with 1-2 quoted sentences, or refuses when the evidence is weak.

    ``rank`` picks the sentence scorer: ``"model"`` (the fitted ranker), or the
    ``"dense"``/``"bm25"`` single signals used as ablations by ``bot eval --compare``.
    ``threshold`` defaults to the operating point stored with the weights.
    """

    def __init__(
        self,
        evidence,
        embeddings,
        threshold: float | None = None,
        max_chars: int = 400,
        second_ratio: float = 0.05,
        rank: Literal["model", "dense", "bm25"] = "model",
        models: Models | None = None,
        reader: Reader | None = None,
        combination: Combination | None = None,
    ) -> None:
        self.evidence = evidence
        self.embeddings = embeddings
        self.max_chars = max_chars
        self.second_ratio = second_ratio
        self.rank = rank
        self.models = models or load_models()
        #: the reader (:mod:`bot.reader`) and its fitted joins with the ranker, or None: the ranker alone
        self.reader, self.combination = (reader, combination) if rank == "model" else (None, None)
        fitted = self.combination.threshold if self.combination is not None else self.models.refusal_threshold
        self.threshold = threshold if threshold is not None else (fitted if fitted is not None else 0.5)

    def _score(self, index, q, X: np.ndarray) -> Scored:
        if self.rank == "model":
            return score_features(index, q, X, self.models)
        column = SENTENCE_FEATURES.column("dense" if self.rank == "dense" else "bm25_norm")
        return score_features(index, q, X, self.models, signal=X[:, column] * 20.0)

    def evaluate(self, question: str, passages: list[Passage]) -> tuple[Scored | None, Parsed | None, float]:
        """The best article's ranked sentences, the parsed question (its vector and terms, for
        composing the answer), and the probability that the sentences answer the question.

        With passages from several articles, the article is the one whose best sentence the
        prefilter likes most; only that one is ranked with token-level matching, so a question
        over a large archive pays that cost once."""
        articles = list(dict.fromkeys(p.article_id for p in passages))[:MAX_ARTICLES]
        if not articles:
            return None, None, 0.0
        if isinstance(self.embeddings, TokenEmbeddings):
            vector, pieces = self.embeddings.embed_query_tokens(question)
        else:
            vector, pieces = self.embeddings.embed_query(question), None
        q = parse_question(question, vector, pieces, self.embeddings)
        found = [(index, sentence_features(index, q)) for index in map(self.evidence.get, articles) if index.n]
        if not found:
            return None, q, 0.0
        index, X = max(found, key=lambda f: float(self.models.prefilter.score(f[1]).max()))
        best = self._score(index, q, X)
        features = question_features(best, q)
        confidence = self.models.answerable(features)
        if self.reader is not None:  # the reader reads the best candidates: it may lift another, and joins the refusal
            assert self.combination is not None  # a reader comes with its joins (load_reader)
            evidence = read(self.reader, best, question)
            return rerank(best, evidence, self.combination.beta), q, self.combination.answerable(confidence, evidence, features)
        return best, q, confidence

    def answer(self, question: str, passages: list[Passage], display_question: str | None = None) -> Answer:
        shown = display_question or question
        scored, q, confidence = self.evaluate(question, passages)
        if scored is None or q is None:  # q is None only when scored is
            return _refusal(shown, confidence, [])
        if not _asks_the_article(scored.index, question, q):
            return _refusal(shown, confidence, [])
        related = [_closest(scored, q)]
        about_story = _about_the_story(scored.index, question)
        if about_story:  # who wrote it, which agency filed it: the credit line or the dateline says
            return self._cited(scored.index, about_story, q, shown, confidence, related)
        if confidence < self.threshold:
            return _refusal(shown, confidence, related)
        wanted = q.term_set | _speaker_terms(scored, q)
        chosen = _with_speaker(scored, q, compose(scored, wanted, self.max_chars, self.second_ratio), self.max_chars)
        return self._cited(scored.index, chosen, q, shown, confidence, related)

    def _cited(self, index, chosen: list[tuple[int, int, int]], q: Parsed, shown: str, confidence: float,
               related: list[Citation]) -> Answer:
        """The answer quoting ``chosen`` (sentence, start, end), each part cited by the passage that holds it."""
        cited: list[Passage] = []
        claims: list[Claim] = []
        for i, a, b in chosen:
            c = int(index.layout.sent_chunk[i])
            key = (index.article_id, int(index.passages.starts[c]))
            found = [j for j, p in enumerate(cited) if (p.article_id, p.start) == key]
            if not found:
                cited.append(_passage(index, c, q))
                found = [len(cited) - 1]
            start = int(index.sentences.starts[i])
            text = _named(index, i, a, b, [c.text for c in claims])
            claims.append(Claim(text, found[0], [(start + a, start + b)]))
        text, citations = cite_claims(claims, cited)
        return Answer(question=shown, answer=text, refused=False, citations=citations, related=related, confidence=confidence)


_SPEAKER_TYPES = (AnswerType.PERSON, AnswerType.STATEMENT)


def _speaker_terms(scored: Scored, q: Parsed) -> set[str]:
    """For a "who said" or "what did X say" question, the words of the best sentence's attribution
    ("…," said Marta Voss, the chief executive), so a long sentence is quoted with its speaker."""
    if q.kind not in _SPEAKER_TYPES:
        return set()
    text = scored.index.sentences.texts[int(scored.order[0])]
    found = news.attribution(text)
    return set(terms(text[found[0]:found[1]])) if found else set()


def _with_speaker(scored: Scored, q: Parsed, chosen: list[tuple[int, int, int]], max_chars: int) -> list[tuple[int, int, int]]:
    """For a "who said" question whose best sentence continues a quotation ('"Please do not wait."'),
    the sentence before that names the speaker is quoted first, instead of any runner-up."""
    index, best = scored.index, int(scored.order[0])
    texts = index.sentences.texts
    if q.kind not in _SPEAKER_TYPES or not index.layout.same_prev[best] or not news.bare_quote(texts, best):
        return chosen
    if any(i == best - 1 for i, _, _ in chosen):
        return chosen
    own = next(c for c in chosen if c[0] == best)
    room = max_chars - len(quote(texts[best], own[1], own[2])) - 10
    if room < 40:
        return chosen
    found = news.attribution(texts[best - 1])
    assert found is not None  # bare_quote: the sentence before names the speaker
    a, b = found
    skip = int(index.layout.quote_from[best - 1])
    return [(best - 1, *part(texts[best - 1], skip, set(terms(texts[best - 1][a:b])), room)), own]


def _named(index, i: int, a: int, b: int, earlier: list[str]) -> str:
    """The quote of sentence ``i`` from ``a`` to ``b``; when it opens with a pronoun subject ("She told …",
    "The company said …") it names who, in square brackets as journalists do ("[Maria Lopez] told …"),
    unless an earlier part of the answer names them already. The highlight stays on the article's text."""
    text = index.sentences.texts[i]
    found = news.named_subject(index.sentences.texts, i, a) if a == int(index.layout.quote_from[i]) else None
    if not found or found[0] >= b or any(found[1] in e for e in earlier):
        return quote(text, a, b)
    return ("…" if a > 0 else "") + f"[{found[1]}]" + unmark(text[found[0]:b]) + ("…" if b < len(text) else "")


def _passage(index, c: int, q: Parsed) -> Passage:
    """Passage ``c`` of the article, scored against the question."""
    return Passage(index.article_id, index.title, index.passages.texts[c], int(index.passages.starts[c]),
                   int(index.passages.ends[c]), float(index.passages.vecs[c] @ q.vector))


def _closest(scored: Scored, q: Parsed) -> Citation:
    """The passage of the best-ranked sentence, that sentence highlighted (past its dateline, within the passage)."""
    index, best = scored.index, int(scored.order[0])
    c = int(index.layout.sent_chunk[best])
    start = max(int(index.sentences.starts[best]) + int(index.layout.quote_from[best]), int(index.passages.starts[c]))
    end = min(int(index.sentences.ends[best]), int(index.passages.ends[c]))
    return passage_of(_passage(index, c, q), 0, [(start, end)] if start < end else [])


def _refusal(shown: str, confidence: float, related: list[Citation]) -> Answer:
    return Answer(question=shown, answer=refusal_text(shown), refused=True, citations=[], related=related,
                  confidence=confidence)


def _asks_the_article(index, question: str, q: Parsed) -> bool:
    """Whether ``question`` asks anything of the article: words that make it a question or a request
    (:data:`~bot.extractive.lexicon.ASKS`), or a word of the article. "xyzzy", "asdf qwer", "?", "🙂" or "the"
    is neither, and is refused whatever the models make of it (they were fitted on questions, and an unknown
    word's pieces can look like anything); "Putin?" or "tram cost" is a word of the article, and is answered."""
    return bool(lexicon.ASKS.search(question)) or any(t in index.stats.vocab for t in q.term_set)


def _about_the_story(index, question: str) -> list[tuple[int, int, int]]:
    """For a question about the story itself (:mod:`bot.extractive.news`), the parts that answer it:
    the credit lines or byline for who wrote or edited it, the dateline for the agency or the place
    it was filed from. Empty for any other question, or when the article has no such line."""
    layout, texts = index.layout, index.sentences.texts
    if news.asks_author(question):
        return [(i, 0, len(texts[i])) for i in np.flatnonzero(layout.credit)[:2]]
    if news.asks_source(question):
        found = np.flatnonzero(layout.quote_from)[:1]
        return [(int(i), 0, len(texts[i][: layout.quote_from[i]].rstrip(" -–—"))) for i in found]
    return []
