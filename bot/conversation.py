"""Follow-up questions: turning "Whom did he meet?" into a question that stands on its own.

Without an LLM, two rules apply, both reading only the earlier user turns:

* a pronoun (he, she, they, him, them, his, her, their, it, its) is replaced by the
  most recent name in the conversation (a capitalised word run, newest turn first);
  a question with a pronoun but no name to resolve it to is prefixed with the
  previous turn, so retrieval still sees the topic;
* a bare definite noun ("the summit", "the meeting") takes the name that modified
  the same noun in an earlier turn ("the Alaska summit");
* "he"/"she" after a question that asked *who* ("Who leads the opposition?" then "What
  did she say?") stands for the answer, not for a name in that question: with
  ``answer_of`` (the bot's own answer to the earlier turn), the first person it names
  (two or more capitalised words the earlier question does not use) replaces the pronoun.

With a remote LLM configured (openai, ollama), :mod:`bot.llm` condenses the question with
``prompts/condense.txt`` instead.
"""

from __future__ import annotations

import re

from bot.extractive.lexicon import NAME_RUN, NAME_WORD
from bot.extractive.news import is_person_like, people_in
from index.terms import terms

__all__ = ["resolve_followup", "names_in"]

_SUBJECT = {"he", "she", "they"}
_OBJECT = {"him", "them"}
_POSSESSIVE = {"his", "their", "its"}
_AMBIGUOUS = {"her"}  # object or possessive; either way the name fits
_NEUTER = {"it"}
_QUESTION_WORDS = {
    "who", "whom", "whose", "what", "when", "where", "why", "how", "which", "did", "does", "do", "is", "are",
    "was", "were", "can", "could", "will", "would", "should", "has", "have", "had", "tell", "and", "but", "so",
    "in", "on", "at", "the", "a", "an", "after", "before", "during", "i", "please",
}
_WORD = re.compile(r"\b[\w’']+\b")


def names_in(text: str) -> list[str]:
    """Capitalised word runs in ``text``, leading question words and a possessive "'s" dropped, in order."""
    out = []
    for match in NAME_RUN.finditer(text):
        words = match.group(0).split()
        while words and words[0].lower() in _QUESTION_WORDS:
            words = words[1:]
        if words:
            out.append(_POSSESSIVE_S.sub("", " ".join(words)).rstrip(".’'"))
    return out


_POSSESSIVE_S = re.compile(r"[’']s$")
_PERSONAL = {"he", "she", "him", "his", "her"}
#: a question that asks who did something ("Who leads …", "Who is the mayor?"), not who a named person is
_ASKS_WHO = re.compile(r"^\W*(?:and\s+|so\s+)?(?:who|whom)\b", re.IGNORECASE)
_NAMES_PERSON = re.compile(rf"^\W*(?i:who\s+(?:is|was|are|were))\s+{NAME_WORD}(?:\s+{NAME_WORD})*\s*\??\s*$")


def _answer_person(answer: str | None, question: str) -> str | None:
    """The person ``answer`` names (two or more capitalised words, no organisation's) that ``question``
    does not; when it names several, one introduced as a person ("said X", "Minister X"), nearest the
    question's own words."""
    if not answer:
        return None
    asked = {w for name in names_in(question) for w in name.split()}
    wanted = set(terms(question))
    anchors = [m.start() for m in _WORD.finditer(answer) if set(terms(m.group(0))) & wanted]
    cued = people_in(answer)  # introduced as news copy introduces people: "said X", "Dr. X", "X, 29,"
    best = None
    for match in NAME_RUN.finditer(answer):
        for name in names_in(match.group(0)):
            name = re.split(r"\s+(?:of|the)\s+", name)[0]  # "Hana Ruud of Lakeshire": the person is "Hana Ruud"
            words = name.split()
            if len(words) < 2 or asked & set(words) or not is_person_like(name):
                continue
            at = match.start() + match.group(0).find(name)
            rank = (words[-1] not in cued, min((abs(at - a) for a in anchors), default=0))
            if best is None or rank < best[0]:
                best = (rank, name)
    return best[1] if best else None


def _last_name(history: list[str]) -> str | None:
    for turn in reversed(history):
        names = names_in(turn)
        if names:
            return names[0]
    return None


_DEFINITE = re.compile(r"\b([Tt]he)\s+([a-z][\w-]*)\b")


_NAME_WORD = re.compile(NAME_WORD)
_MODIFIER_CHARS = 120  # how far before the noun a modifier may start: a run of names is never longer


def _modifier(turn: str, noun: str) -> str | None:
    """The run of capitalised words right before the first ``noun`` in ``turn`` that has one ("Alaska" in
    "the Alaska summit"). Each occurrence of the noun is found once and the words before it read backwards: a
    search for names-then-noun retried at every capitalised word took seconds on a turn of a thousand."""
    for found in re.finditer(rf"(?<=\s){re.escape(noun)}\b", turn):
        words = turn[max(0, found.start() - _MODIFIER_CHARS):found.start()].split()
        if found.start() > _MODIFIER_CHARS:
            words = words[1:]  # the window may start inside a word
        run: list[str] = []
        for word in reversed(words):
            if not _NAME_WORD.fullmatch(word):
                break
            run.append(word)
        if run:
            return " ".join(reversed(run))
    return None


def _expand_definites(question: str, history: list[str]) -> str:
    """"the summit" → "the Alaska summit" when an earlier turn said "Alaska summit"."""

    def expand(match: re.Match) -> str:
        noun = match.group(2)
        for turn in reversed(history):
            modifier = _modifier(turn, noun)
            if modifier:
                if modifier.split()[0].lower() not in _QUESTION_WORDS:
                    return f"{match.group(1)} {modifier} {noun}"
        return match.group(0)

    return _DEFINITE.sub(expand, question)


def resolve_followup(question: str, history: list[str] | None, answer_of=None) -> str:
    """A stand-alone version of ``question`` given earlier user turns (oldest first). ``answer_of(turn,
    earlier_turns)``, when given, is the bot's answer text to an earlier turn (None when it refused)."""
    history = [h for h in (history or []) if h and h.strip()]
    if not history:
        return question
    question = _expand_definites(question, history)
    words = [w.lower() for w in _WORD.findall(question)]
    pronouns = [w for w in words if w in _SUBJECT | _OBJECT | _POSSESSIVE | _AMBIGUOUS | _NEUTER]
    if not pronouns:
        return question
    name = None
    if answer_of is not None and pronouns[0] in _PERSONAL and _ASKS_WHO.match(history[-1]) \
            and not _NAMES_PERSON.match(history[-1]):
        name = _answer_person(answer_of(history[-1], history[:-1]), history[-1])
    name = name or _last_name(history)
    if name is None:
        return f"{history[-1].strip()} {question}"
    done = False

    def swap(match: re.Match) -> str:
        nonlocal done
        word = match.group(0)
        low = word.lower()
        if done or low not in _SUBJECT | _OBJECT | _POSSESSIVE | _AMBIGUOUS | _NEUTER:
            return word
        done = True
        return f"{name}'s" if low in _POSSESSIVE else name

    return _WORD.sub(swap, question)
