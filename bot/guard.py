"""The grounding guard: a sentence an LLM writes is shown only if the passage it cites supports it.

Every sentence of an LLM answer (:func:`bot.markers.sentences_with_markers` reads what real models
write) is checked against the retrieved passages its markers cite:

* **Hard checks**, on the cited passages' text: every number (digits or number words), every name
  (a capitalised word inside the sentence), every date word and every quoted phrase of the sentence
  must occur there. A wrong figure, a swapped name or an invented quotation fails here whatever else
  the sentence shares with the passage.
* **Coverage**, against the best *support*: one sentence of a cited passage, or two neighbouring
  ones. The sentence's content words are matched exactly (stems) or through WordLlama near-synonyms,
  weighted by the article's idf, and its MiniLM word pieces take their most similar piece in the
  support (the token-level matching the extractive ranker computes). A logistic model of those
  (``bot/guard.json``, fitted by ``benchmarks/guard.py`` on the fit part of the labelled guard set,
  ``benchmarks/guard/``) gives the probability that the support says what the sentence says; below
  ``threshold`` the sentence is dropped. A negation on one side only drops it too.

Text in an article is data, never instructions (issue 22):

* **Facts together**: the numbers, dates and names of a sentence must all stand in one sentence of the cited
  passage, or in two neighbouring ones (a summary often joins a sentence and the one after it: "… said crews had
  made 63 rescues … and that about 900 people had registered"), not scattered over it; the support is read from
  such a sentence, or from two neighbours only when no one sentence holds the facts ("The repairs will start in
  January" is not supported by "… after storms in January." and "The repairs will start in April."). A day and
  its month ("January 12th") must stand together as a date.
* **A value stays with its clause** (:func:`bot.facts.misplaced`): a month, a day of the week, a year or an amount of a
  unit is attached to the content words beside it in the sentence (the nearest before and after in its clause:
  "start" in "will start in January"). If every sentence of the cited passage that holds the value lacks such a
  word, and another sentence holds that word with a different value of the same kind (April, another year, 55
  dollars for 40 dollars), the sentence took its value from one clause and its claim from another: dropped,
  whether the two sentences are neighbours or not, and whichever support the model would read.
* **Injected text**: an instruction to a model or a fake chat turn inside the article (:mod:`bot.injection`)
  supports nothing: its numbers, names and words do not count, and a sentence that takes a word from one that
  the article's own reporting in the cited passage lacks is dropped.
* **Footnote markers** of the article's own ("[2][3]") are no numbers (:func:`bot.citations.unmark`).
* **Unreadable** sentences (:func:`bot.facts.unreadable`: word salad such as "The system in is the mode of the system")
  are dropped. Repeated sentences are kept once, by the answerer (:mod:`bot.llm`).

A kept sentence's highlight is the exact span of its support; a dropped one carries its reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from bot.citations import unmark
from bot.facts import CERTAINTY, INJECTED, OPPOSITES, facts_of, hard_problems, together, unreadable
from bot.extractive import lexicon
from bot.extractive.question import parse_question
from bot.injection import blank, injected_spans
from index.embeddings import TokenEmbeddings
from index.errors import BotError
from index.records import Passage
from index.terms import terms, tokens

__all__ = ["Guard", "Verdict", "GUARD_FEATURES", "WEIGHTS_FILE", "load_guard_model", "hard_problems", "unreadable"]

#: the support model's features, in order (see :func:`_support_features`)
GUARD_FEATURES = ["cover_exact", "cover_soft", "tok_mean", "tok_min", "tok_low_share", "negation_mismatch",
                  "unmatched_max_idf", "unmatched_count", "certainty_added", "antonym"]
#: the fitted support model (package data beside this module), written by ``benchmarks/guard.py --write``
WEIGHTS_FILE = "guard.json"
#: a hand-set model, only for fitting the first one (it picks the support the features are read from)
START = {"weights": [4.0, 3.0, 6.0, 2.0, -3.0, -1.0, -1.0, -0.5, -2.0, -2.0], "bias": -8.0, "threshold": 0.5}


@lru_cache(maxsize=1)
def load_guard_model() -> dict:
    """The fitted support model: ``weights`` (per :data:`GUARD_FEATURES`), ``bias``, ``threshold``."""
    try:
        data = json.loads(resources.files("bot").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BotError(f"cannot read the guard's fitted model bot/{WEIGHTS_FILE} ({exc}); run benchmarks/guard.py --write") from None
    if data.get("features") != GUARD_FEATURES:
        raise BotError(f"bot/{WEIGHTS_FILE} was fitted for other features: run benchmarks/guard.py --write")
    return data

@dataclass
class Verdict:
    """The guard's decision on one answer sentence."""

    sentence: str
    cited: list[int]  # 0-based indexes of the retrieved passages its markers cite
    kept: bool
    reason: str = ""
    support: tuple[int, int] | None = None  # the supporting sentence(s), article offsets
    support_article: str | None = None
    score: float = 0.0
    features: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"sentence": self.sentence, "reason": self.reason, "score": round(self.score, 3)}


class Guard:
    """Checks answer sentences against the passages they cite (see the module docstring)."""

    def __init__(self, evidence, embeddings, model: dict | None = None, threshold: float | None = None) -> None:
        model = model or load_guard_model()
        self.evidence = evidence
        self.embeddings = embeddings
        self.threshold = float(model["threshold"] if threshold is None else threshold)
        self.w = np.asarray(model["weights"], dtype=np.float64)
        self.b = float(model["bias"])

    def check(self, sentence: str, cited: list[int], passages: list[Passage]) -> Verdict:
        """The verdict on ``sentence`` (markers removed), which cites ``passages[i]`` for ``i`` in ``cited``.

        A sentence with no valid marker (small models often forget them) is checked against each
        retrieved passage alone: kept if one supports it, which its ``cited`` then names."""
        valid = [i for i in cited if 0 <= i < len(passages)]
        if not valid and not passages:
            return Verdict(sentence, cited, False, "it cites no retrieved passage")
        parsed = self._parse(sentence)  # once, however many passages it is checked against
        if valid:
            return self._check(sentence, parsed, valid, passages)
        verdicts = [self._check(sentence, parsed, [i], passages) for i in range(len(passages))]
        best = max(verdicts, key=lambda v: (v.kept, v.score))
        if not best.kept:
            best.cited, best.reason = [], "it cites no passage, and no retrieved passage supports it"
        return best

    def _parse(self, sentence: str):
        """The sentence read as the extractive answerer reads a question: terms, words, word pieces."""
        vector, pieces = (self.embeddings.embed_query_tokens(sentence) if isinstance(self.embeddings, TokenEmbeddings)
                          else (self.embeddings.embed_query(sentence), None))
        return parse_question(sentence, vector, pieces, self.embeddings)

    def _check(self, sentence: str, parsed, cited: list[int], passages: list[Passage]) -> Verdict:
        chosen = [passages[i] for i in cited]
        injected = [self._injected(p) for p in chosen]
        text = "\n".join(blank(p.text, spans, p.start) for p, spans in zip(chosen, injected))
        problems = [INJECTED] if any(injected) and _from_injected(sentence, chosen, injected) else []
        problems += hard_problems(sentence, text)
        if not problems and (why := unreadable(sentence)):
            problems.append(why)
        features, support, article = self.features(parsed, chosen, facts_of(sentence))
        score = self.probability(features)
        verdict = Verdict(sentence, cited, False, support=support, support_article=article, score=score, features=features)
        if problems:
            verdict.reason = problems[0]
        elif support is None:
            verdict.reason = "the cited passage has no sentence to check it against"
        elif score < self.threshold:
            verdict.reason = f"the cited passage does not say this (support {score:.2f} < {self.threshold:.2f})"
        else:
            verdict.kept = True
        return verdict

    def _injected(self, passage: Passage) -> list[tuple[int, int]]:
        """The spans of ``passage`` (article offsets) written to a model, not to readers (:mod:`bot.injection`)."""
        spans = injected_spans(self.evidence.get(passage.article_id).text)
        return [(a, b) for a, b in spans if a < passage.end and b > passage.start]

    def probability(self, features: dict) -> float:
        x = np.asarray([features.get(name, 0.0) for name in GUARD_FEATURES], dtype=np.float64)
        return float(1.0 / (1.0 + np.exp(-(x @ self.w + self.b))))

    def features(self, s, passages: list[Passage], facts=None) -> tuple[dict, tuple[int, int] | None, str | None]:
        """The support features of the best support among the cited passages' sentences (one, or two
        neighbours) for the parsed sentence ``s``, with that support's article offsets and article id. A
        support holds all the sentence's ``facts`` (:func:`_facts`) and is no instruction or chat turn."""
        best: tuple[float, dict, tuple[int, int], str] | None = None
        for passage in passages:
            index = self.evidence.get(passage.article_id)
            start, end = passage.start, passage.end
            spans = injected_spans(index.text)
            inside = [i for i in range(index.n) if index.sentences.starts[i] < end and index.sentences.ends[i] > start
                      and not any(a <= index.sentences.starts[i] and index.sentences.ends[i] <= b for a, b in spans)]
            windows = [[i] for i in inside] + [[i, i + 1] for i in inside if i + 1 in inside]
            if facts is not None and any(facts):
                windows = [rows for rows in windows
                           if together(facts, [unmark(index.sentences.texts[i]) for i in rows])]
            for rows in windows:
                f = _support_features(index, s, rows)
                p = self.probability(f)
                if best is None or p > best[0]:
                    span = (int(index.sentences.starts[rows[0]]), int(index.sentences.ends[rows[-1]]))
                    best = (p, f, span, index.article_id)
        if best is None:
            return {}, None, None
        return best[1], best[2], best[3]


def _from_injected(sentence: str, passages: list[Passage], injected: list[list[tuple[int, int]]]) -> bool:
    """Whether ``sentence`` takes a word from an injected span that the rest of the cited passages lacks."""
    inside, outside = set(), set()
    for passage, spans in zip(passages, injected):
        start = passage.start
        outside |= set(terms(blank(passage.text, spans, start)))
        for a, b in spans:
            inside |= set(terms(passage.text[max(a - start, 0): b - start]))
    return bool(set(terms(sentence)) & (inside - outside))


def _support_features(index, s, rows: list[int]) -> dict:
    """How well sentences ``rows`` of ``index`` cover the parsed answer sentence ``s``."""
    wanted = s.term_set
    have = set().union(*(index.stats.sent_terms[i] for i in rows))
    idf = {t: index.idf_of(t) for t in wanted}
    total = sum(idf.values()) or 1.0
    exact = {t for t in wanted if t in have}
    cover_exact = sum(idf[t] for t in exact) / total
    # near-synonyms for the words no stem matched
    loose = [j for j, w in enumerate(s.words) if not set(terms(w)) & have]
    words = [s.words[j] for j in loose]
    soft, unmatched = 0.0, list(words)
    if words:
        # the support's words and their vectors, from the article's word table (as answerability's soft_missing)
        support_words = np.nonzero(index.words.SW[rows].any(axis=0))[0]
        if len(support_words):
            sims = (s.word_vecs[loose] @ index.words.word_vecs[support_words].T).max(axis=1)
            matched = {t for w, sim in zip(words, sims) if sim >= 0.6 for t in terms(w)}
            soft = sum(idf.get(t, 0.0) for t in matched & wanted) / total
            unmatched = [w for w, sim in zip(words, sims) if sim < 0.6]
    unmatched_idf = [max((index.idf_of(t) for t in terms(w)), default=0.0) / index.stats.unknown_idf for w in unmatched]
    said = set(tokens(s.text))
    support = set(tokens(" ".join(index.sentences.texts[i] for i in rows)))
    certainty = float(bool((said & CERTAINTY) - support))
    antonym = float(any((a in said and b in support and a not in support) or (b in said and a in support and b not in support)
                        for a, b in OPPOSITES))
    vecs, first, last = index.tokens()
    piece_rows = np.concatenate([np.arange(first[i], last[i]) for i in rows]) if len(vecs) else np.zeros(0, dtype=int)
    if s.token_vecs.size and piece_rows.size:
        sims = (s.token_vecs @ vecs[piece_rows].T).max(axis=1)
        tok_mean, tok_min, low = float(sims.mean()), float(sims.min()), float((sims < 0.5).mean())
    else:
        tok_mean = tok_min = low = 0.0
    negated_s = lexicon.negated(tokens(s.text))
    negated_t = max(float(index.kinds.negated[i]) for i in rows)
    return {"cover_exact": cover_exact, "cover_soft": cover_exact + soft, "tok_mean": tok_mean, "tok_min": tok_min,
            "tok_low_share": low, "negation_mismatch": float(negated_s != negated_t),
            "unmatched_max_idf": max(unmatched_idf, default=0.0), "unmatched_count": float(len(unmatched)),
            "certainty_added": certainty, "antonym": antonym}
