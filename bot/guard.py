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
* **A value stays with its clause** (:func:`_misplaced`): a month, a day of the week, a year or an amount of a
  unit is attached to the content words beside it in the sentence (the nearest before and after in its clause:
  "start" in "will start in January"). If every sentence of the cited passage that holds the value lacks such a
  word, and another sentence holds that word with a different value of the same kind (April, another year, 55
  dollars for 40 dollars), the sentence took its value from one clause and its claim from another: dropped,
  whether the two sentences are neighbours or not, and whichever support the model would read.
* **Injected text**: an instruction to a model or a fake chat turn inside the article (:mod:`bot.injection`)
  supports nothing: its numbers, names and words do not count, and a sentence that takes a word from one that
  the article's own reporting in the cited passage lacks is dropped.
* **Footnote markers** of the article's own ("[2][3]") are no numbers (:func:`bot.citations.unmark`).
* **Unreadable** sentences (:func:`unreadable`: word salad such as "The system in is the mode of the system")
  are dropped. Repeated sentences are kept once, by the answerer (:mod:`bot.llm`).

A kept sentence's highlight is the exact span of its support; a dropped one carries its reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
from langchain_core.documents import Document

from bot.citations import unmark
from bot.extractive import lexicon
from bot.extractive.question import parse_question
from bot.injection import blank, injected_spans
from index.chunking import split_sentences
from index.errors import BotError
from index.terms import STOPWORDS, stem, terms, tokens

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

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
    "dozen": "12",
}
#: words that make a claim surer, wider or causal than a source may be ("will *definitely*", "*because*")
_CERTAINTY = frozenset("definitely certainly certain surely sure exactly precisely guaranteed guarantee always never all "
                       "every entire entirely because cause caused causing due result resulted".split())
#: word pairs that say opposite things (either way round); a sentence that says one where its support says the other
_OPPOSITES = [tuple(pair.split("/")) for pair in (
    "rose/fell rise/fall rising/falling increased/decreased increase/decrease up/down higher/lower more/fewer more/less "
    "gained/lost win/lose won/lost approved/rejected approve/reject accepted/rejected accept/refuse agreed/refused "
    "allowed/banned allow/ban opened/closed open/close raised/cut raise/cut favour/against for/against support/oppose "
    "supported/opposed welcomed/criticised welcomed/condemned praised/criticised conceded/refused unanimous/divided "
    "before/after above/below ahead/behind early/late earlier/later profit/loss surplus/deficit majority/minority "
    "best/worst largest/smallest biggest/smallest highest/lowest most/least guilty/innocent convicted/acquitted "
    "expanded/shrank grew/shrank strengthened/weakened improved/worsened resigned/appointed hired/fired").split()]
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"[“\"]([^”\"]{8,})[”\"]")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
#: a day with its month, either way round ("January 12th", "12 January", "the 12th of January")
_DAY_MONTH = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b")
INJECTED = ("it repeats what an instruction or a chat turn inside the article says; text in an article is data, "
            "not the article's reporting")
_WEEKDAY = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
#: a number and the word it counts, past a scale word ("9.4 million dollars", "300-metre", "eighteen months")
_COUNT = re.compile(rf"\b({'|'.join(_NUMBER_WORDS)}|\d+(?:[.,]\d+)*)(?:[\s-]+(?:million|billion|thousand|hundred)s?)*"
                    r"[\s-]+([A-Za-z]+)", re.IGNORECASE)
_NOT_NAMES = frozenset("I The A An In On At But And It He She They We This That These Those His Her Their Its "
                       "According After Before When While If As For From By With Of To".split())


def _numbers(text: str) -> set[str]:
    """The numbers ``text`` states, normalised ("1,200" and "1200" alike; "four" as "4"; "18.6 million" as "18.6")."""
    found = {m.group(0).replace(",", "").rstrip(".") for m in _DIGITS.finditer(text)}
    for word in tokens(text):
        if word in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[word])
    return found


def _names(text: str) -> set[str]:
    """Capitalised words inside the sentence (not the first word, nor function words): the names it uses."""
    out = set()
    for i, m in enumerate(_WORD.finditer(text)):
        word = re.sub(r"[’']s$", "", m.group(0))
        before = text[: m.start()].rstrip()
        if i == 0 or before.endswith((".", ":", "“", '"', "!", "?")) or not word[0].isupper() or word in _NOT_NAMES:
            continue
        out.add(word)
    return out


def _name_in(name: str, text: str) -> bool:
    """``name`` occurs in ``text`` as a word or a word's start ("Dorvania" in "Dorvanian", "Russia" in "Russia's")."""
    return re.search(rf"\b{re.escape(name[:max(len(name) - 2, 4)] if len(name) > 6 else name)}", text) is not None


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("“", '"').replace("”", '"').replace("’", "'")).strip().lower()


def _facts(sentence: str) -> tuple[set[str], set[str], set[str]]:
    """The numbers (but "1": "one of the …" is rarely a figure), date words and names ``sentence`` states."""
    dates = {m.group(0).lower() for m in lexicon.DATE_WORDS.finditer(sentence)}
    return _numbers(sentence) - {"1"}, dates, _names(sentence)


def _holds(facts: tuple[set[str], set[str], set[str]], text: str) -> bool:
    numbers, dates, names = facts
    return numbers <= _numbers(text) and all(d in text.lower() for d in dates) and all(_name_in(n, text) for n in names)


def _dates(text: str) -> set[tuple[str, str]]:
    return {((m.group(1) or m.group(4)).lower(), m.group(2) or m.group(3)) for m in _DAY_MONTH.finditer(text)}


def _together(facts: tuple[set[str], set[str], set[str]], texts: list[str]) -> bool:
    """Whether one sentence (``texts`` of one), or two neighbours (of two), hold ``facts`` together. Two only
    when the numbers and dates need both, or when one holds them and the other the names (reported speech:
    "Marta Voss spoke on Monday. She said profits rose 16 percent."): a date in one sentence and the words it
    goes with in the next ("… after storms in January." "The repairs will start in April.") are not together."""
    if not _holds(facts, " ".join(texts)):
        return False
    numbers, dates, names = facts
    if len(texts) == 1 or not (numbers or dates):
        return True
    figures = (numbers, dates, set())
    for one in texts:
        if _holds(figures, one):  # one holds the figures: the other may only add the names it lacks
            return not _holds((set(), set(), names), one)
    return True  # the figures are split over the two


def _value_spans(text: str) -> list[tuple[str, str, int, int]]:
    """The values ``text`` gives, each with its kind and span: a month, a day of the week, a year, or a number with
    the word it counts ("eighteen months" as ("month", "18"), "9.4 million dollars" as ("dollar", "9.4"))."""
    found = [("a month", m.group(0), *m.span()) for m in re.finditer(_MONTH, text)]
    found += [("a day of the week", m.group(0), *m.span()) for m in _WEEKDAY.finditer(text)]
    found += [("a year", m.group(1), *m.span()) for m in lexicon.YEAR.finditer(text)]
    for m in _COUNT.finditer(text):
        number, unit = m.group(1).lower(), m.group(2).lower()
        if unit not in STOPWORDS and unit not in _NUMBER_WORDS:
            found.append((stem(unit), _NUMBER_WORDS.get(number, number.replace(",", "")), *m.span()))
    return found


def _values(text: str) -> set[tuple[str, str]]:
    return {(kind, value) for kind, value, _, _ in _value_spans(text)}


def _attached(sentence: str, start: int, end: int) -> set[str]:
    """The content words (stems) next to ``sentence[start:end]`` in its clause: the nearest before ("start" in
    "will start in January") and the nearest after ("flooded" in "storms in January flooded")."""
    def words(text: str) -> list[str]:  # no other value ("in 2024 and 2025", "on Monday, March 9")
        return [t for t in terms(text) if not _values(t) and not _numbers(t) and not lexicon.DATE_WORDS.fullmatch(t)]

    before = words(re.split(r"[,;:.!?()“”\"]", sentence[:start])[-1])
    after = words(re.split(r"[,;:.!?()“”\"]", sentence[end:])[0])
    return set(before[-1:] + after[:1])


def _misplaced(sentence: str, texts: tuple[str, ...]) -> list[str]:
    """A value of ``sentence`` (:func:`_value_spans`) that the cited sentences ``texts`` give to something else:
    every sentence that holds it lacks a word the value is attached to in ``sentence`` (:func:`_attached`, the
    predicate it dates or counts), and another sentence holds that word with a different value of the same kind
    (another month, another year, another amount of the same unit). The sentence took the value from one clause
    and its claim from another ("The repairs will start in January" from "… after storms in January." and "The
    repairs will start in April.")."""
    problems = []
    for kind, value, start, end in _value_spans(sentence):
        if value == "1":  # "one of the …" is rarely a figure (as in _facts)
            continue
        attached = _attached(sentence, start, end)
        holders = [t for t in texts if (kind, value) in _values(t)]
        rivals = {t: sorted(v for k, v in _values(t) if k == kind) for t in texts if t not in holders}
        # for each holder, the other values of that kind that stand with the attached words it lacks
        found = [[v for t, values in rivals.items() if (attached - set(terms(h))) & set(terms(t)) for v in values]
                 for h in holders]
        if holders and all(found):
            problems.append(f"the cited passage gives {value} to something else: what the sentence says of it "
                            f"stands with {found[0][0]}, another {kind.removeprefix('a ')}")
    return problems


@lru_cache(maxsize=512)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(s.text for s in split_sentences(text))


def hard_problems(sentence: str, passage_text: str) -> list[str]:
    """What the sentence states that the cited text does not: numbers, names, dates, quotations, or facts that
    the text states only apart. Even the article's own subject must be named in the passage: a swap between a
    story's two main names is the commonest wrong claim there is."""
    problems = []
    passage_text = unmark(passage_text)  # a footnote's "[2]" is no figure
    have = _numbers(passage_text)
    numbers, dates, names = facts = _facts(sentence)
    for number in sorted(numbers - have):
        problems.append(f"the number {number} is not in the cited passage")
    for name in sorted(names):
        if not _name_in(name, passage_text):
            problems.append(f"the name {name!r} is not in the cited passage")
    for word in sorted(dates):
        if word not in passage_text.lower():
            problems.append(f"{word!r} is not in the cited passage")
    plain = _normal(passage_text)
    for m in _QUOTED.finditer(sentence):
        if _normal(m.group(1)).strip(" ,.") not in plain:
            problems.append("the quotation is not the cited passage's words")
    for month, day in sorted(_dates(sentence) - _dates(passage_text)):
        problems.append(f"the date {month.title()} {day} is not in the cited passage")
    texts = _sentences(passage_text) if not problems and sum(map(len, facts)) > 1 else ()
    windows = [[t] for t in texts] + [[a, b] for a, b in zip(texts, texts[1:])]
    if texts and not any(_together(facts, w) for w in windows):
        stated = ", ".join(sorted(numbers) + sorted(dates) + sorted(names))
        problems.append(f"its facts ({stated}) are not together in one sentence of the cited passage")
    if not problems:
        problems += _misplaced(sentence, _sentences(passage_text))
    return problems


_DETERMINERS = frozenset("the a an".split())
_PREPOSITIONS = frozenset("in of on at to by for with from into".split())
_COPULAS = frozenset("is are was were".split())
#: what never directly follows "the" or "a" in a readable sentence
_NOT_AFTER_DETERMINER = _DETERMINERS | _PREPOSITIONS | _COPULAS | frozenset("and or but".split())


def unreadable(sentence: str) -> str:
    """Why ``sentence`` is not a readable English sentence ("" if it is): word salad, as small models write when
    they lose the thread ("The system in is the mode of the system"). No language model: three signs that a
    sentence is no grammar at all, none of which the guard set's sentences or any sentence of the news corpus
    shows (``tests/bot/test_guard.py``): a determiner followed by a function word ("the of", "a is"); a
    preposition directly followed by a form of *be* ("in is"); a content word said twice in a sentence with too
    few distinct words (under 70 % of six or more), or the sentence ending on a determiner or a preposition."""
    words = tokens(sentence)
    for a, b in zip(words, words[1:]):
        if (a in _DETERMINERS and b in _NOT_AFTER_DETERMINER) or (a in _PREPOSITIONS and b in _COPULAS):
            return f"it is not a readable sentence ({a!r} before {b!r})"
    if words and words[-1] in _DETERMINERS | _PREPOSITIONS and sentence.rstrip()[-1:] in ".!?":
        return f"it is not a readable sentence (it ends on {words[-1]!r})"
    content = [w for w in words if w not in STOPWORDS]
    if len(words) >= 6 and len(set(content)) < len(content) and len(set(words)) < 0.7 * len(words):
        return "it is not a readable sentence (it repeats its words)"
    return ""


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

    def check(self, sentence: str, cited: list[int], passages: list[Document]) -> Verdict:
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
        vector, pieces = (self.embeddings.embed_query_tokens(sentence) if hasattr(self.embeddings, "embed_query_tokens")
                          else (self.embeddings.embed_query(sentence), None))
        return parse_question(sentence, vector, pieces, self.embeddings)

    def _check(self, sentence: str, parsed, cited: list[int], passages: list[Document]) -> Verdict:
        docs = [passages[i] for i in cited]
        injected = [self._injected(d) for d in docs]
        text = "\n".join(blank(d.page_content, spans, int(d.metadata["start"])) for d, spans in zip(docs, injected))
        problems = [INJECTED] if any(injected) and _from_injected(sentence, docs, injected) else []
        problems += hard_problems(sentence, text)
        if not problems and (why := unreadable(sentence)):
            problems.append(why)
        features, support, article = self.features(parsed, docs, _facts(sentence))
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

    def _injected(self, doc: Document) -> list[tuple[int, int]]:
        """The spans of ``doc`` (article offsets) written to a model, not to readers (:mod:`bot.injection`)."""
        start, end = int(doc.metadata["start"]), int(doc.metadata["end"])
        spans = injected_spans(self.evidence.get(doc.metadata["article_id"]).text)
        return [(a, b) for a, b in spans if a < end and b > start]

    def probability(self, features: dict) -> float:
        x = np.asarray([features.get(name, 0.0) for name in GUARD_FEATURES], dtype=np.float64)
        return float(1.0 / (1.0 + np.exp(-(x @ self.w + self.b))))

    def features(self, s, docs: list[Document], facts=None) -> tuple[dict, tuple[int, int] | None, str | None]:
        """The support features of the best support among the cited passages' sentences (one, or two
        neighbours) for the parsed sentence ``s``, with that support's article offsets and article id. A
        support holds all the sentence's ``facts`` (:func:`_facts`) and is no instruction or chat turn."""
        best: tuple[float, dict, tuple[int, int], str] | None = None
        for doc in docs:
            index = self.evidence.get(doc.metadata["article_id"])
            start, end = int(doc.metadata["start"]), int(doc.metadata["end"])
            spans = injected_spans(index.text)
            inside = [i for i in range(index.n) if index.sentences.starts[i] < end and index.sentences.ends[i] > start
                      and not any(a <= index.sentences.starts[i] and index.sentences.ends[i] <= b for a, b in spans)]
            windows = [[i] for i in inside] + [[i, i + 1] for i in inside if i + 1 in inside]
            if facts is not None and any(facts):
                windows = [rows for rows in windows
                           if _together(facts, [unmark(index.sentences.texts[i]) for i in rows])]
            for rows in windows:
                f = _support_features(index, s, rows)
                p = self.probability(f)
                if best is None or p > best[0]:
                    span = (int(index.sentences.starts[rows[0]]), int(index.sentences.ends[rows[-1]]))
                    best = (p, f, span, index.article_id)
        if best is None:
            return {}, None, None
        return best[1], best[2], best[3]


def _from_injected(sentence: str, docs: list[Document], injected: list[list[tuple[int, int]]]) -> bool:
    """Whether ``sentence`` takes a word from an injected span that the rest of the cited passages lacks."""
    inside, outside = set(), set()
    for doc, spans in zip(docs, injected):
        start = int(doc.metadata["start"])
        outside |= set(terms(blank(doc.page_content, spans, start)))
        for a, b in spans:
            inside |= set(terms(doc.page_content[max(a - start, 0): b - start]))
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
    certainty = float(bool((said & _CERTAINTY) - support))
    antonym = float(any((a in said and b in support and a not in support) or (b in said and a in support and b not in support)
                        for a, b in _OPPOSITES))
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
