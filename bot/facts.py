"""The guard's hard checks: what an answer sentence states that must stand in the passage it cites.

Numbers (digits or number words), names, dates (a day with its month), quoted phrases; a value kept with
the clause it belongs to (:func:`misplaced`); and sentences too garbled to read (:func:`unreadable`).
:mod:`bot.guard` runs them before its support model; each returns the reasons a sentence fails, in words
a reader can follow.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.citations import unmark
from bot.extractive import lexicon
from index.chunking import split_sentences
from index.terms import STOPWORDS, stem, terms, tokens

__all__ = ["CERTAINTY", "INJECTED", "OPPOSITES", "facts_of", "hard_problems", "misplaced", "together", "unreadable"]

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
    "dozen": "12",
}
#: words that make a claim surer, wider or causal than a source may be ("will *definitely*", "*because*")
CERTAINTY = frozenset("definitely certainly certain surely sure exactly precisely guaranteed guarantee always never all "
                       "every entire entirely because cause caused causing due result resulted".split())
#: word pairs that say opposite things (either way round); a sentence that says one where its support says the other
OPPOSITES = [tuple(pair.split("/")) for pair in (
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


def facts_of(sentence: str) -> tuple[set[str], set[str], set[str]]:
    """The numbers (but "1": "one of the …" is rarely a figure), date words and names ``sentence`` states."""
    dates = {m.group(0).lower() for m in lexicon.DATE_WORDS.finditer(sentence)}
    return _numbers(sentence) - {"1"}, dates, _names(sentence)


def _holds(facts: tuple[set[str], set[str], set[str]], text: str) -> bool:
    numbers, dates, names = facts
    return numbers <= _numbers(text) and all(d in text.lower() for d in dates) and all(_name_in(n, text) for n in names)


def _dates(text: str) -> set[tuple[str, str]]:
    return {((m.group(1) or m.group(4)).lower(), m.group(2) or m.group(3)) for m in _DAY_MONTH.finditer(text)}


def together(facts: tuple[set[str], set[str], set[str]], texts: list[str]) -> bool:
    """Whether one sentence (``texts`` of one), or two neighbours (of two), hold ``facts`` together. Two only
    when the numbers and dates need both, or when one holds them and the other the names (reported speech:
    "Marta Voss spoke on Monday. She said profits rose 16 percent."): a date in one sentence and the words it
    goes with in the next ("… after storms in January." "The repairs will start in April.") are not together."""
    if not _holds(facts, " ".join(texts)):
        return False
    numbers, dates, names = facts
    if len(texts) == 1 or not (numbers or dates):
        return True
    figures: tuple[set[str], set[str], set[str]] = (numbers, dates, set())
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


def misplaced(sentence: str, texts: tuple[str, ...]) -> list[str]:
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
    numbers, dates, names = facts = facts_of(sentence)
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
    if texts and not any(together(facts, w) for w in windows):
        stated = ", ".join(sorted(numbers) + sorted(dates) + sorted(names))
        problems.append(f"its facts ({stated}) are not together in one sentence of the cited passage")
    if not problems:
        problems += misplaced(sentence, _sentences(passage_text))
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
