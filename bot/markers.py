"""Citation markers as real models write them, read into sentences that each cite passages.

Asked for ``[1]``, models write ``[1][2]``, ``[1, 2]``, ``[1-2]``, ``(1)``, ``[Passage 1]``, ``(Source 2)``,
``【1】`` or ``[^1]``, before the full stop or after it, sometimes only in a trailing "Sources:" list,
often as markdown bullets with bold text. :func:`normalise` rewrites every form as ``[n]``, drops the
trailing list and the markdown; :func:`claims` splits the result into sentences, each with the passage
numbers its markers name (1-based, as the prompt numbered them). A marker after a full stop belongs to
the sentence before it.
"""

from __future__ import annotations

import re

from index.chunking import split_sentences

__all__ = ["normalise", "claims", "STREAM_MARKER"]

_NUM = r"\d{1,3}"
_LIST = rf"{_NUM}(?:\s*(?:,|;|and|&|-|–)\s*{_NUM})*"
_FORMS = [
    re.compile(rf"【\s*(?:passage\s*|source\s*)?({_LIST})\s*】", re.IGNORECASE),
    re.compile(rf"\[\s*\^?\s*(?:passages?\s*|sources?\s*|ref\.?\s*|doc(?:ument)?\s*)?#?({_LIST})\s*\]", re.IGNORECASE),
    re.compile(rf"\(\s*(?:passages?\s*|sources?\s*|see\s+passage\s*)#?({_LIST})\s*\)", re.IGNORECASE),
    re.compile(rf"(?<=[\w.,;:!?\"”'’])\s*\(({_LIST})\)(?=\s|$|[.,;:!?])"),  # "(1)" right after a word or a stop
]
_SOURCES = re.compile(r"\n\s*(?:\*\*)?(?:sources?|references?|citations?|passages? used)(?:\*\*)?\s*:.*\Z",
                      re.IGNORECASE | re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+", re.MULTILINE)
_MARKDOWN = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)|^#+\s*", re.MULTILINE)
_MARKER = re.compile(rf"\[({_NUM})\]")
#: a marker, or the start of one that more tokens may complete (for streaming)
STREAM_MARKER = re.compile(r"[\[【(](?:[^\]】)\n]{0,20})$")


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and|&)\s*", group):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and all(b.isdigit() for b in bounds) and 0 < int(bounds[1]) - int(bounds[0]) < 10:
            out += list(range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            out += [int(b) for b in bounds if b.isdigit()]
    return out


def normalise(text: str) -> str:
    """``text`` with every marker form as ``[n]`` (groups as ``[1][2]``), markers moved before the
    full stop they follow, a trailing "Sources:" list, bullets and bold/italic markdown removed."""
    text = _SOURCES.sub("", text)
    for form in _FORMS:
        text = form.sub(lambda m: "".join(f"[{n}]" for n in _numbers(m.group(1))), text)
    text = _BULLET.sub("", text)
    text = _MARKDOWN.sub("", text)
    # "… in Alaska. [1]" → "… in Alaska [1]." so the marker stays with its sentence
    text = re.sub(r"([.!?])((?:\s*\[\d{1,3}\])+)", lambda m: re.sub(r"\s+", " ", m.group(2)).rstrip() + m.group(1), text)
    text = re.sub(r"[ \t]+(\[\d)", r" \1", text)
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def claims(text: str) -> list[tuple[str, list[int]]]:
    """The sentences of ``text`` (already :func:`normalise`\\ d), markers removed, each with the passage
    numbers its markers name, in order and without repeats (empty for an uncited sentence)."""
    out = []
    for sentence in split_sentences(text):
        cited = list(dict.fromkeys(int(n) for n in _MARKER.findall(sentence.text)))
        plain = re.sub(r"\s*\[\d{1,3}\]", "", sentence.text).strip()
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        if plain:
            out.append((plain, cited))
    return out
