"""Every English-shape rule the answerer uses, one definition each.

Names, numbers, dates, reported speech, negation, and the shapes of questions (which wh-word,
which answer type). Rules are about the shape of English text, never about the words of a
particular article or question; :mod:`bot.conversation` reads its name runs from here too.
"""

from __future__ import annotations

import math
import re

import numpy as np

__all__ = [
    "NAME_WORD", "NAME_RUN", "ARTICLE_NAME_RUN", "CAPITALISED_WORD", "NUMBER_WORDS", "DIGITS", "YEAR", "DATE_WORDS",
    "STATEMENT", "STATEMENT_QUESTION", "NEGATIONS", "SENTENCE_NEGATIONS", "CONDITIONS", "WH_WORD", "ASKS", "HOW_QUANTITY",
    "WHAT_TIME", "WHAT_QUANTITY", "QUESTION_SUBJECT", "QUALIFIER", "QUESTION_SHAPE_WORDS", "idf", "negated",
]

# -- names ---------------------------------------------------------------------------------------
#: one capitalised word, with inner apostrophes, dots and hyphens ("O'Neill", "U.S.", "India-Russia")
NAME_WORD = r"[A-Z][\w’'.-]*"
#: a run of capitalised words, joined by "of" or "the" ("Bank of England", "Duke of the Isles")
NAME_RUN = re.compile(rf"{NAME_WORD}(?:\s+(?:of\s+|the\s+)?{NAME_WORD})*")
#: the same in article text, where "de" joins too ("Charles de Gaulle"), starting at a word boundary
ARTICLE_NAME_RUN = re.compile(rf"\b{NAME_WORD}(?:\s+(?:of\s+|de\s+|the\s+)?{NAME_WORD})*")
#: a plain capitalised word in a question ("Who met *Putin*?")
CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]+\b")

# -- numbers and dates ----------------------------------------------------------------------------
DIGITS = re.compile(r"\b\d[\d,.]*\b")
NUMBER_WORDS = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"dozen|hundred|hundreds|thousand|thousands|million|millions|billion|half|twice|percent)\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(1\d{3}|20\d{2})s?\b")
DATE_WORDS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|century|centuries|decade)\b",
    re.IGNORECASE,
)

#: words that pin a fact to one period or one of a series ("the *first* quarter", "*last* year", "in *2023*"):
#: a question that asks about another one than the article gives is a near miss
QUALIFIER = re.compile(
    r"\b(1\d{3}|20\d{2}|first|second|third|fourth|fifth|last|next|previous|former|earlier|later|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|fall|winter|"
    r"morning|afternoon|evening|night|weekend|quarter|annual|yearly|monthly|daily|weekly)\b",
    re.IGNORECASE,
)

# -- reported speech: what news sentences use to say who said what ---------------------------------
STATEMENT = re.compile(
    r"\b(said|says|saying|stated?|states|stating|statement|told|tells|noted?|notes|noting|added|adds|announced?|announces|"
    r"announcing|declared?|declares|described?|describes|called|calls|claimed?|claims|argued?|argues|warned?|warns|"
    r"stressed|stresses|emphasi[sz]ed|emphasi[sz]ing|reiterated?|reiterating|insisted?|insists|acknowledged?|"
    r"asserted?|asserts|remarked?|commented?|responded?|replied|urged?|urges|welcomed?|welcomes|condemned?|"
    r"criticised|criticized|praised?|denied|denies|according to)\b|[“”\"]",
    re.IGNORECASE,
)
#: a question about what someone said or how they reacted (lower-cased text)
STATEMENT_QUESTION = re.compile(r"\b(say|said|says|announce|announced|claim|claimed|argue|argued|comment|commented|"
                                r"respond|responded|react|reacted|reaction|response|stance)\b")

# -- negation -------------------------------------------------------------------------------------
NEGATIONS = frozenset({"not", "never", "no", "without"})  # plus any word ending in "n't"
#: in article sentences "neither" and "nor" negate too (in questions they rarely ask about an absence)
SENTENCE_NEGATIONS = NEGATIONS | {"neither", "nor"}
#: a negation after one of these sits in a condition ("What happens if no deal …") and negates nothing asked
CONDITIONS = frozenset({"if", "unless", "whether"})

# -- question shapes (matched against the lower-cased question) ------------------------------------
WH_WORD = re.compile(r"\b(who|whom|whose|when|where|what|which|how|why)\b")
#: what makes words a question or a request to the article: a wh-word, an auxiliary that opens a yes/no
#: question, or a request for the story as a whole ("summarise", "tell me about …")
ASKS = re.compile(
    r"\b(?:who|whom|whose|when|where|what|which|how|why)\b"
    r"|^\W*(?:is|are|was|were|am|do|does|did|can|could|will|would|shall|should|has|have|had|may|might|must)\b"
    r"|\b(?:summar\w*|explain\w*|describe\w*|tell|overview|gist|tl;?dr|(?:main|key)\s+points?|happen\w*)\b",
    re.IGNORECASE,
)
HOW_QUANTITY = re.compile(r"\s+(many|much|long|far|old|often|large|big|tall|high|few)\b")
WHAT_TIME = re.compile(r"\s+(year|date|day|time|century|decade|month)\b")
#: nouns whose value is a quantity: "What is the population of …", "What share of …"
_QUANTITY = r"(?:population|number|amount|cost|price|percentage|percent|proportion|fraction|share|total|budget|toll|age|sum)"
WHAT_QUANTITY = re.compile(rf"\s+(?:(?:is|was|are|were)\s+the\s+(?:\w+\s+)?)?{_QUANTITY}\b")
#: content words that give a question its shape, not its subject ("How *many* …", "What did she *say* …")
QUESTION_SHAPE_WORDS = frozenset({
    "many", "much", "say", "said", "says", "tell", "told", "happen", "happened", "mean", "long", "far", "often", "old",
    "big", "large", "kind", "type", "name", "called", "number", "amount", "exactly", "get", "got",
})
#: the named subject after an auxiliary verb: "What did *the European Union* say …" (original case)
QUESTION_SUBJECT = re.compile(
    r"^\W*(?:\w+\s+){0,3}?(?i:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|might)\s+"
    rf"(?:the\s+|a\s+|an\s+)?({NAME_RUN.pattern})"
)


def idf(n: int, df):
    """Inverse document frequency over ``n`` sentences, smoothed: log((n + 1) / (df + 0.5)).

    A scalar ``df`` gives a float (``math.log``), an array an array (``numpy.log``); a term
    the article lacks has ``df`` 0, the highest idf."""
    if np.ndim(df) == 0:
        return math.log((n + 1) / (df + 0.5))
    return np.log((n + 1) / (np.asarray(df) + 0.5))


def negated(words: list[str], negations: frozenset[str] = SENTENCE_NEGATIONS) -> float:
    """1.0 when one of ``words`` (lower-cased tokens) is a negation, else 0.0."""
    return 1.0 if any(w in negations or w.endswith("n't") for w in words) else 0.0
