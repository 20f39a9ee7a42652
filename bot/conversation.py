"""Follow-up questions: turning "Whom did he meet?" into a question that stands on its own.

Without an LLM, two rules apply, both reading only the earlier user turns:

* a pronoun (he, she, they, him, them, his, her, their, it, its) is replaced by the
  most recent name in the conversation (a capitalised word run, newest turn first);
  a question with a pronoun but no name to resolve it to is prefixed with the
  previous turn, so retrieval still sees the topic;
* a bare definite noun ("the summit", "the meeting") takes the name that modified
  the same noun in an earlier turn ("the Alaska summit").

With an LLM configured, :mod:`bot.llm` condenses the question with
``prompts/condense.txt`` instead.
"""

from __future__ import annotations

import re

from bot.extractive.lexicon import NAME_RUN, NAME_WORD

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
    """Capitalised word runs in ``text``, leading question words dropped, in order."""
    out = []
    for match in NAME_RUN.finditer(text):
        words = match.group(0).split()
        while words and words[0].lower() in _QUESTION_WORDS:
            words = words[1:]
        if words:
            out.append(" ".join(words).rstrip(".’'"))
    return out


def _last_name(history: list[str]) -> str | None:
    for turn in reversed(history):
        names = names_in(turn)
        if names:
            return names[0]
    return None


_DEFINITE = re.compile(r"\b([Tt]he)\s+([a-z][\w-]*)\b")


def _expand_definites(question: str, history: list[str]) -> str:
    """"the summit" → "the Alaska summit" when an earlier turn said "Alaska summit"."""

    def expand(match: re.Match) -> str:
        noun = match.group(2)
        for turn in reversed(history):
            found = re.search(rf"((?:{NAME_WORD}\s+)+){re.escape(noun)}\b", turn)
            if found:
                modifier = found.group(1).strip()
                if modifier.split()[0].lower() not in _QUESTION_WORDS:
                    return f"{match.group(1)} {modifier} {noun}"
        return match.group(0)

    return _DEFINITE.sub(expand, question)


def resolve_followup(question: str, history: list[str] | None) -> str:
    """A stand-alone version of ``question`` given earlier user turns (oldest first)."""
    history = [h for h in (history or []) if h and h.strip()]
    if not history:
        return question
    question = _expand_definites(question, history)
    words = [w.lower() for w in _WORD.findall(question)]
    pronouns = [w for w in words if w in _SUBJECT | _OBJECT | _POSSESSIVE | _AMBIGUOUS | _NEUTER]
    if not pronouns:
        return question
    name = _last_name(history)
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
