"""Finding the people and organisations an article names, and the questions about them: "Who is Ingrid
Dahl?", "What is Medibook?", "Who led the dissenting votes?".

People come from :mod:`bot.extractive.news` (``people_in``, ``is_person_like``), names from
:mod:`bot.extractive.lexicon`; :func:`people` tells how news copy names a person.
"""

from __future__ import annotations

import re

from bot.extractive import news
from bot.extractive.lexicon import ARTICLE_NAME_RUN, DATE_WORDS, NAME_RUN, STATEMENT
from bot.extractive.news import _TITLES  # the one list of personal titles ("Dr.", "Councillor")
from bot.suggest._words import _AUX, _BE, _REPORTING, Candidate, _is_past, _proper, _question, _trim
from index.terms import STOPWORDS

__all__ = ["people"]

_TITLE_RE = "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))


def _pairs(sentence: str):
    """(start, "First Last", the capitalised words before them in their run) for each run of names."""
    for m in ARTICLE_NAME_RUN.finditer(sentence):
        words = m.group(0).rstrip(".,’'").split()
        if len(words) >= 3 and re.fullmatch(r"[A-Z]\.", words[-2]):  # a middle initial
            words[-3:] = [words[-3], f"{words[-2]} {words[-1]}"]
        if len(words) >= 2 and not {"of", "the", "de"} & set(words) and not re.search(r"[-“\"‘']$", sentence[: m.start()]):
            yield m.start() + len(" ".join(words[:-2])) + (len(words) > 2), f"{words[-2]} {words[-1]}", words[:-2]


def _stands_alone(first: str, last: str, text: str) -> bool:
    """Whether ``first`` appears in ``text`` without ``last`` after it ("Kelbridge took the lead")."""
    return re.search(rf"\b{re.escape(first)}\b(?!\s+{re.escape(last)})", text) is not None


def _alone(surname: str, sentences: list[str]) -> bool:
    """Whether some sentence names ``surname`` without a capitalised word before or after it ("Voss said")."""
    for sentence in sentences:
        for m in re.finditer(rf"(?<![\w’'-]){re.escape(surname)}(?![\w’'-])", sentence):
            before, after = sentence[: m.start()].split()[-1:], sentence[m.end():].split()[:1]
            if not (before and before[0][0].isupper() or after and after[0][0].isupper()):
                return True
    return False


def people(sentences: list[str]) -> dict[str, int]:
    """Full names ("First Last") of the people the article names, most mentioned first, each with the
    sentence that says who they are (a title, a role or an apposition; -1 when none does).

    Two capitalised words are a person's name when the first never stands alone in the article nor as a
    lower-case word (a team's, a company's or a town's first word does: "Kelbridge took the lead"), no
    ", which" follows them (organisations take "which", people "who"), and the surname comes back alone
    (news copy's second reference: "Voss said"), or a title stands before them ("Foreign Minister Aurel
    Kostin"), or :func:`bot.extractive.news.people_in` knows the surname and an apposition follows
    ("said Oskar Lind, the assembly speaker"), or a role and a comma stand before them and they speak
    ("The county sheriff, Dale Whitcombe, said")."""
    text = " ".join(sentences)
    lower = {w.lower() for w in re.findall(r"\b[a-z][\w’'-]*", text)}
    surnames = news.people_in(text)
    found: dict[str, int] = {}
    for i, sentence in enumerate(sentences):
        for at, name, prefix in _pairs(sentence):
            first, last = name.split(" ", 1)
            not_a_first_name = first in _TITLES or first.isupper() or first.lower() in STOPWORDS | lower
            if name in found or not_a_first_name or not news.is_person_like(name) or _stands_alone(first, last, text) \
                    or re.search(rf"{re.escape(name)},\s+which\b", text):  # people are "who", organisations "which"
                continue
            tail, before = sentence[at + len(name):], sentence[:at].split()[-1:]
            role = bool(before) and re.fullmatch(r"[a-z][\w-]*[^s\W],?", before[0]) and before[0].rstrip(",") not in STOPWORDS
            appos = re.match(rf",\s+(?:\d{{1,3}},\s+)?(?:the|a|an|who|whose|{NAME_RUN.pattern}['’]s)\s", tail)
            speaks = re.match(r",?\s+(?:also\s+)?(?:said|says|told|added)\b", tail)
            titled = any(w in _TITLES for w in prefix)
            known = last in surnames and appos and STATEMENT.search(sentence)
            if _alone(last, sentences) or titled or known or role and (appos or speaks):
                found[name] = -1
        for name, where in found.items():
            if where < 0 and _introduces(sentence, name, text):
                found[name] = i
    return dict(sorted(found.items(), key=lambda kv: -text.count(kv[0].split()[-1])))


def _introduces(sentence: str, name: str, text: str) -> bool:
    """Whether ``sentence`` says who ``name`` is: a title or a role before the name, or an apposition after it."""
    at = re.escape(name)
    apposition = rf"{at},\s+(?:\d{{1,3}},|(?:\d{{1,3}},\s+)?(?:the|a|an|who|whose|{NAME_RUN.pattern}['’]s)\s)"
    if re.search(rf"(?:{_TITLE_RE})\s+{at}|{apposition}", sentence):
        return True
    if any(w.rstrip(",") not in STOPWORDS for w in re.findall(rf"\b([a-z][\w-]+,?)\s+{at}", sentence)):
        return True  # "striker Rafael Denholm", "the city's finance director, Grace Olawale"
    opener = re.match(rf"([A-Z][a-z]+)\s+{at}", sentence)  # "Referee Janet Ollerton", a role that opens the sentence
    return opener is not None and opener.group(1).lower() not in STOPWORDS and not _proper(opener.group(1), text)


_ORG_INTRO = re.compile(rf"(?<![\w’'-])(?P<name>(?:The\s+)?{NAME_RUN.pattern}),\s+(?:a|an|the)\s+[a-z]")


def _who_is(sentences: list[str], folks: dict[str, int], text: str) -> list[Candidate]:
    """"Who is <person>?" for each person the article says something about, then "What is <organisation>?"
    for a name that an apposition introduces ("Medibook, a company whose …") and that is no person's:
    it has an organisation's word in it, or its first word also stands alone ("Orlund Marine" … "Orlund")."""
    out = [Candidate(f"Who is {name}?", i, "who_is") for name, i in folks.items() if i >= 0]
    for i, sentence in enumerate(sentences):
        for m in _ORG_INTRO.finditer(sentence):
            name, words = m.group("name").rstrip("."), m.group("name").split()
            first = words[1] if words[0] == "The" else words[0]
            after_preposition = re.search(r"\b(?:in|at|on|from|to|for|of|near|with)\s+(?:the\s+)?$", sentence[: m.start()])
            if after_preposition or any(name in f for f in folks) or any(w in _TITLES for w in words) \
                    or len(words) == 1 and not _proper(name, text):
                continue
            if not news.is_person_like(name) or len(words) == 1 or _stands_alone(first, words[-1], text):
                out.append(Candidate(f"What is {'the' + name[3:] if words[0] == 'The' else name}?", i, "who_is"))
    return out


def _who_did(sentences: list[str], folks: dict[str, int]) -> list[Candidate]:
    """"Who <did something>?" for a person named as the subject of a clause ("captain Lewis Mbeki converted …")."""
    out = []
    for name in folks:
        mention = rf"(?:{re.escape(name)}|(?<![\w’'-]){re.escape(name.split()[-1])})"
        shape = re.compile(rf"{mention}(?:,\s+(?:\d{{1,3}}|(?:who|the|a|an)\s[^,]{{1,60}}),)?\s+"
                           rf"(?:(?P<aux>{_AUX})\s+)?(?P<verb>[a-z]+)\s+(?P<rest>.+)")
        for i, sentence in enumerate(sentences):
            m = shape.search(sentence)
            verb = m.group("verb") if m else ""
            if not m or _REPORTING.fullmatch(verb) or not (m.group("aux") or _is_past(verb) or verb in _BE):
                continue
            rest = _trim(m.group("rest"))
            content = [w for w in rest if w.lower() not in STOPWORDS and not DATE_WORDS.fullmatch(w)]
            if len(rest) < 2 or not content or rest[0] == "not" or set(rest) & set(name.split()):
                continue
            if q := _question("Who", m.group("aux") or "", verb, *rest):
                out.append(Candidate(q, i, "who_did"))
                break
    return out

