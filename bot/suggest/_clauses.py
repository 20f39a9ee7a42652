"""The clauses of a sentence and their subjects, as the question-shaping rules read them: where a clause
starts, what its subject is as a question says it ("Its profit" → "the profit"), and the auxiliary a
question about it takes ("did the storm cut").
"""

from __future__ import annotations

import re

from bot.extractive.lexicon import NAME_RUN
from bot.suggest._words import _AUX, _BE, _COUNT, _NOT_TOPIC, _STOP, _is_past, _proper, base_form
from index.terms import STOPWORDS

_DET = r"(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)"
_DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her"})
_LOWER = rf"(?!{_STOP})[a-z][\w-]*"
_SUBJ = (rf"(?P<subj>(?:{_DET}\s+)?(?:{NAME_RUN.pattern}['’]s\s+)?(?:{_LOWER}\s+){{0,2}}{_LOWER}"
         rf"|(?:The\s+)?{NAME_RUN.pattern})")
_CLAUSE_START = re.compile(r"(?:^|;\s+|,\s+(?:and|but)\s+|\s+(?:because|after|when|while|although|as)\s+"
                           r"|\s(?:said|says|told\s+\w+|added|warned)(?:\s+that)?\s+)")
_CLAUSE = re.compile(rf"{_SUBJ}\s+(?:(?P<aux>{_AUX})\s+(?=also\s|{_LOWER}))?(?:also\s+)?(?P<verb>[a-z]+)\s+(?P<rest>.+)")


_WHICH = re.compile(rf"((?:[Tt]he\s+)?{NAME_RUN.pattern}|the\s+(?:{_LOWER}\s+){{0,2}}{_LOWER}),\s+which\s+(?!said|says)")


def _clauses(sentence: str, relative: str = "") -> list[str]:
    """The clauses of a sentence, each from where it starts to the sentence's end; with ``relative``, also
    a relative clause with its antecedent as its subject ("Stonebrook, which employs 110 people" →
    "Stonebrook employs …"): any antecedent ("any"), or only a common noun's ("common"), as a name at
    the end of a phrase is often not what "which" stands for ("the fire station on Mill Lane, which …")."""
    found = [m for m in _WHICH.finditer(sentence) if relative == "any" or relative == "common" and m.group(1).startswith("the ")]
    return [sentence[m.end():] for m in _CLAUSE_START.finditer(sentence)] + [
        f"{m.group(1)} {sentence[m.end():]}" for m in found]


def _subject(subj: str, text: str) -> str | None:
    """The subject as a question says it ("Its profit" → "the profit", "Crews" → "crews", "The Food
    Union" → "the Food Union"); None for a pronoun or a long phrase."""
    words = subj.split()
    if words[0].lower() in STOPWORDS - _DETERMINERS or len(words) > 5 or words[0].endswith("ing"):
        return None
    if words[0].lower() in {"its", "their", "his", "her"}:
        words[0] = "the"
    elif words[0] in {"The", "A", "An"}:
        words[0] = words[0].lower()
    if len(words) == 1 and words[0][0].isupper() and not _proper(words[0], text):
        words[0] = words[0].lower()
    if any(w.lower() in STOPWORDS for w in words[1:]) or words[-1].endswith("ly") or words[-1].lower() in _NOT_TOPIC \
            or re.fullmatch(_COUNT, words[-1]):
        return None
    return " ".join(words)


def _did(aux: str | None, verb: str, subj: str, present: bool = False) -> tuple[str, str, str] | None:
    """(auxiliary, subject, verb) that ask about ``subj`` ``aux`` ``verb``: ("did", "the storm", "cut");
    with ``present``, a present-tense verb too ("has" → "does … have", "adds" → "does … add")."""
    if aux:
        return (aux, subj, verb) if aux not in ("has", "have", "had") or _is_past(verb) else None
    if present and verb in ("has", "have"):
        return ("does" if verb == "has" else "do"), subj, "have"
    if present and re.fullmatch(r"[a-z]{3,}[^s]s", verb) and not _is_past(verb):  # carries, reaches, adds
        base = verb[:-3] + "y" if verb.endswith("ies") else verb[:-2] if re.search(r"(?:ss|sh|ch|x|z)es$", verb) else verb[:-1]
        return "does", subj, base
    past = base_form(verb) if _is_past(verb) else None
    return ("did", subj, past) if past and verb not in _BE else None

