"""News structure: datelines, credit lines and bylines, and the reader questions they answer.

Wire copy opens its lede with a dateline (``LISBON, March 3 (Reuters) - ``) and closes with a
credit line (``Reporting by …; Editing by …``), or carries a byline (``By Name``) under the
headline. A dateline stays in the text and its offsets but is never quoted as part of an answer,
except to a question about the agency or the place the story was filed from; a credit line or
a byline is never quoted either, except to a question about who wrote, reported or edited the
story. Every rule is about the shape of news copy and of such questions, for any article.
"""

from __future__ import annotations

import re

from bot.extractive.lexicon import NAME_WORD

__all__ = [
    "dateline_end", "is_credit", "asks_author", "asks_source", "named_subject", "attribution", "bare_quote", "is_person_like", "people_in",
]

# An upper-case place, optionally a region, optionally a date, optionally (Agency), then a dash.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,3})"
    r"(?:,\s+[A-Z][A-Za-z.'’-]+(?:\s+[A-Z][A-Za-z.'’-]+){0,2})??"
    r"(?:,\s+(?P<date>[A-Z][a-z]{2,9}\.?\s+\d{1,2}(?:,\s+\d{4})?))?"
    r"\s*(?:\((?P<agency>[^()\n]{2,60})\))?"
    r"\s*[-–—]{1,2}\s+"
)
_CREDIT = re.compile(
    r"\(?\s*(?:(?:additional|further)\s+)?(?:reporting|writing|editing|written|edited|compiled|produced|reported)"
    r"(?:\s+and\s+\w+)?\s+by\s+[A-Z]",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"By\s+[A-Z][\w’'.-]+(?:\s+(?:[A-Z][\w’'.-]+|de|van|von|da|al|and))*\s*(?:,.{0,60})?")
_STORY_WORDS = r"this|it|the\s+(?:story|article|report|piece|news\s+report)"  # the story itself
_STORY = rf"(?:{_STORY_WORDS})"
_AUTHOR = re.compile(
    rf"\bwho\b[^?]*\b(?:wrote|write|written|writes|edited|authored|compiled|filed|reported(?:\s+on)?)\s+{_STORY}"
    rf"|\bwho\s+(?:is|was|are|were)\s+(?:the\s+)?(?:author|writer|reporter|journalist|editor)s?\b"
    rf"|\b(?:author|writer|reporter|journalist|editor|byline)s?\s+(?:of|on|for)\s+{_STORY}"
    rf"|\bwhose\s+byline\b|\bwho\s+(?:wrote|edited|reported)\s*(?:this|it)?\s*\??\s*$",
    re.IGNORECASE,
)
_SOURCE = re.compile(
    r"\b(?:news\s+agency|wire\s+service|newswire|news\s+wire|news\s+service|press\s+agency)\b"
    rf"|\bagency\b[^?]*\b(?:filed|carried|published|distributed|{_STORY_WORDS})\b"
    rf"|\bwhere\b[^?]*\b(?:reported|filed|written|datelined)\s+from\b|\bwhere\s+(?:is|was)\s+{_STORY}\s+from\b"
    r"|\bdateline\b",
    re.IGNORECASE,
)


def dateline_end(sentence: str) -> int:
    """Where the dateline that opens ``sentence`` ends (0 when it has none).

    A run of upper-case words before a dash counts only with a date or an agency in
    brackets, so an acronym that opens a sentence ("NATO - the alliance …") is no dateline."""
    match = _DATELINE.match(sentence)
    if not match or not (match.group("date") or match.group("agency")) or match.end() >= len(sentence):
        return 0
    return match.end()


def is_credit(sentence: str, whole_line: bool) -> bool:
    """Whether ``sentence`` is a credit line or a byline: a line of its own (``whole_line``), short,
    that names who reported, wrote or edited the story."""
    text = sentence.strip()
    if not whole_line or len(text) > 240:
        return False
    return bool(_CREDIT.match(text) or _BYLINE.fullmatch(text))


def asks_author(question: str) -> bool:
    """A question about who wrote, reported or edited the story itself ("Who wrote this article?")."""
    return bool(_AUTHOR.search(question))


def asks_source(question: str) -> bool:
    """A question about the agency that filed the story, or the place it was filed from."""
    return bool(_SOURCE.search(question))


# -- who a sentence's pronoun subject is -----------------------------------------------------------
# A sentence that opens with "She told …" or "The company said …" does not say who; journalists name
# the subject in square brackets when they quote it alone ("[Maria Lopez] told …").
_PERSONAL = re.compile(r"(?:He|She)\b")
#: nouns that stand for a person in "The judge said …"
_PERSON_NOUNS = ("judge|mayor|minister|president|spokesman|spokeswoman|spokesperson|chairman|chairwoman|chair|"
                 "director|coach|governor|senator|prosecutor|officer|official|researcher|scientist|author|"
                 "executive|founder|manager|leader|head|captain|player|witness|victim|doctor|lawyer")
_PERSON_NOUN = re.compile(rf"The\s+(?:[a-z-]+\s+)?(?:{_PERSON_NOUNS})\b")
_OTHER = re.compile(r"(?:It|They|The\s+(?:[a-z-]+\s+)?[a-z]+)(?=\s+(?:also\s+|later\s+|has\s+|had\s+|have\s+)?"
                    r"(?:said|says|told|tells|added|adds|announced|announces|warned|confirmed|denied|declined|argued|"
                    r"insisted|noted|stated|reported)\b)")
_NAME = re.compile(rf"\b{NAME_WORD}(?:\s+(?:of\s+|de\s+|the\s+|van\s+|von\s+)?{NAME_WORD})*")
_TITLES = frozenset("Mr Mr. Mrs Mrs. Ms Ms. Dr Dr. Prof Prof. Professor Mayor President Minister Judge Justice Senator "
                    "Governor Councillor Councilor Chancellor Sir Dame Lord Lady Captain General Chief Rev. Father "
                    "Sister Coach Inspector Sergeant Detective Officer".split())
#: words that make a capitalised run an organisation or a place rather than a person
_NOT_PERSON = frozenset(
    "Inc Inc. Ltd Ltd. Corp Corp. Co Co. Company Group Holdings Council Ministry Department University College School "
    "Service Services Agency Bank Party Court Office Federation Union Association Institute Museum Observatory "
    "Airways Airlines Foods Authority Commission Committee Board Police Hospital Church Centre Center Festival "
    "Marathon River Street Square Road Bridge Station Airport Port Parliament Assembly Government Club League "
    "Foundation Trust Society Securities Capital Partners Energy Systems Technologies Space Therapeutics Press "
    "Isles Islands Island Republic Kingdom States Sea Sound Bay Valley Mountains Lake County Province Region City Town "
    "Village District Coast North South East West Northern Southern Eastern Western "
    "News Times Post Reuters Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
    "May June July August September October November December".split())


#: the last word of an organisation's name ("Skyrenn Airways", "Tarnwick City Council")
_ORG_TAILS = frozenset(
    "Inc Inc. Ltd Ltd. Corp Corp. Co Co. Company Group Holdings Council Ministry Department University College "
    "Service Services Agency Bank Party Court Office Federation Union Association Institute Museum Observatory "
    "Airways Airlines Foods Authority Commission Committee Board Police Hospital Government Club League Foundation "
    "Trust Society Securities Capital Partners Energy Systems Technologies Space Therapeutics Press Parliament "
    "Assembly".split())
#: "the <noun>" that stands for whichever company or group the story is about
_GENERIC_ORG = frozenset("company firm group carrier airline startup maker chain business operator developer club team "
                         "union party agency organisation organization charity retailer lender insurer bank".split())
#: capitalised words that open sentences without naming anyone
_OPENERS = frozenset("The A An In On At But And After By For From With As It He She They We I This That These Those "
                     "When While If Although Though Since Under Over About More Most Some Many Its His Her Their "
                     "Our Last Next Earlier Later Meanwhile However Officials Police".split())


def _runs(text: str) -> list[tuple[int, str]]:
    """(position, capitalised run) in ``text``, a leading opener word dropped ("The Hollin Museum" → "Hollin Museum")."""
    out = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        at = m.start()
        while words and words[0] in _OPENERS:
            at += len(words[0]) + 1
            words = words[1:]
        if words:
            out.append((at, " ".join(words).rstrip(".,’'")))
    return out


_TITLE_RE = "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))
_RUN = rf"{NAME_WORD}(?:\s+(?:de\s+|van\s+|von\s+)?{NAME_WORD}){{0,3}}"
_SPEECH = r"(?:said|says|told|tells|added|adds|wrote|explained|warned|argued|recalled)"
#: how news copy introduces a person: "said X", "X said", "X, 29,", "X, the chief executive of …", "Dr. X"
_PERSON_CUES = [
    re.compile(rf"\b{_SPEECH}\s+(?:(?:{_TITLE_RE})\s+)?({_RUN})"),
    re.compile(rf"(?:^|[^\w’'])({_RUN})\s+(?:also\s+)?{_SPEECH}\b"),
    re.compile(rf"({_RUN}),\s+(?:\d{{1,3}},|(?:the|a|an|its|their)\s+(?:[\w-]+\s+){{0,3}}(?:{_PERSON_NOUNS})s?\b)"),
    re.compile(rf"\b(?:{_TITLE_RE})\s+({_RUN})"),
]


def people_in(text: str) -> set[str]:
    """Surnames of the people ``text`` introduces the way news copy does (see :func:`named_subject`)."""
    return _people([text])


def _people(texts: list[str]) -> set[str]:
    """Surnames (last words) of the people ``texts`` introduce the way news copy does."""
    found = set()
    for text in texts:
        for cue in _PERSON_CUES:
            for m in cue.finditer(text):
                words = [w for w in m.group(1).split() if w not in _OPENERS and w not in _TITLES]
                titled = cue is _PERSON_CUES[3] or any(w in _TITLES for w in m.group(0).split())
                # organisations say things too: a speaker counts as a person with a first name and a surname
                if cue in _PERSON_CUES[:2] and len(words) < 2 and not titled:
                    continue
                if words and not any(w in _NOT_PERSON for w in words):
                    found.add(words[-1].rstrip(".,’'"))
    return found


def _is_person(name: str, people: set[str]) -> bool:
    words = name.split()
    if any(w in _NOT_PERSON for w in words) or not 1 <= len(words) <= 4:
        return False
    return words[-1] in people or words[0] in _TITLES


#: what follows a name that opens a sentence as its subject: an apposition or a reporting verb
_SUBJECT_NEXT = re.compile(r",\s+(?:a|an|the)\s|\s+(?:said|says|told|announced|reported)\b")


def _proper(word: str, text: str) -> bool:
    """A single capitalised word is a name when the text also capitalises it inside a sentence
    ("Fuel costs rose" opens a sentence; "said Medibook" names a company)."""
    return re.search(rf"[\w,;:’'\")]\s+{re.escape(word)}\b", text) is not None


def is_person_like(name: str) -> bool:
    """Whether a capitalised run could name a person: no organisation's, place's or date's word in it
    ("Aurel Kostin", "Foreign Minister Aurel Kostin"; not "Kessel Isles Council" or "High Court")."""
    return not any(w in _NOT_PERSON or w in _ORG_TAILS for w in name.split())


def _org_like(name: str) -> bool:
    return any(w in _ORG_TAILS for w in name.split())


def named_subject(texts: list[str], i: int, start: int) -> tuple[int, str] | None:
    """When sentence ``i`` (quoted from character ``start``) opens with a pronoun subject ("She said …",
    "The company told …"), ``(where that subject ends, the name it stands for)``, from the three
    sentences before. For "he"/"she"/"the judge": the nearest person, a name the article introduces
    as news copy does ("said X", "X said", "X, 29,", "X, the chief executive", "Dr. X"), by its fullest
    mention. For "it"/"they"/"the <noun>" before a reporting verb: a name with that noun in it ("The
    court" → "High Court"); else, for "it", "they" and a generic noun ("the company", "the union"), the
    name that opened a sentence as its subject, the one the article mentions most often first. None when
    the sentence names its subject, or the sentences before do not say who it is."""
    text = texts[i][start:]
    other = _OTHER.match(text)
    personal = _PERSONAL.match(text) or (other if other and _PERSON_NOUN.fullmatch(other.group(0)) else None)
    if not (personal or other):
        return None
    people = _people(texts[: i + 1])
    opened = [texts[j][dateline_end(texts[j]):] for j in range(max(0, i - 3), i)]
    before = [(at, name, sentence) for sentence in opened for at, name in _runs(sentence)]
    if personal:
        found = [name for _, name, _ in before if _is_person(name, people)]
        if not found:
            return None
        surname = found[-1].split()[-1]
        fullest = max((n for n in found if n.split()[-1] == surname), key=lambda n: len(n.split()))
        return personal.end() + start, fullest
    assert other is not None  # one of the two matched, and a personal subject returned above
    noun = other.group(0).split()[-1].capitalize()
    whole = " ".join(texts)
    candidates = [name for at, name, sentence in before if not _is_person(name, people) and name.split()[0] not in _NOT_PERSON
                  and (_org_like(name) or len(name.split()) >= 2 or _proper(name, whole)
                       or (at == 0 and _SUBJECT_NEXT.match(sentence, len(name))))]
    if not candidates:
        return None
    named = [n for n in candidates if noun in n.split()]
    if named:
        return other.end() + start, named[-1]
    if other.group(0) not in ("It", "They") and noun.lower() not in _GENERIC_ORG:  # "the court" is no company named before it
        return None
    # the one that opened a sentence as its subject ("Brannholm Ferries cancelled …"), not a place the story
    # names more often ("the island of Skarvøy"); then the one named most
    subjects = {name for at, name, _ in before if at == 0}
    chosen = max(reversed(candidates), key=lambda n: (n in subjects, whole.count(n.split()[0])))
    return other.end() + start, max((n for n in candidates if n.split()[0] == chosen.split()[0]), key=len)




# -- who said a quotation ---------------------------------------------------------------------------
_ATTRIBUTION = re.compile(
    rf"(?:[,”\"’]\s*|\b){_SPEECH}\s+(?:(?:{_TITLE_RE})\s+)?{_RUN}(?:,\s+(?:the|a|an|who)\s+[^,.;“\"]{{1,80}})?"
    rf"|{_RUN}\s+(?:also\s+)?{_SPEECH}\b"
)
_OPENING_QUOTE = re.compile(r"^\s*[“\"]")


def attribution(sentence: str) -> tuple[int, int] | None:
    """Where ``sentence`` says who is speaking ("…," said Marta Voss, the chief executive of Skyrenn), if it does."""
    for m in _ATTRIBUTION.finditer(sentence):
        names = [w for w in re.findall(r"[A-Z][\w’'.-]*", m.group(0)) if w not in _OPENERS]
        if names:
            return m.start(), m.end()
    return None


def bare_quote(texts: list[str], i: int) -> bool:
    """Sentence ``i`` continues a quotation whose speaker the sentence before names: it opens with a
    quotation mark and says nobody's name itself ('"Please do not wait." after '"…," said Fiona Bartram.')."""
    return bool(i > 0 and _OPENING_QUOTE.match(texts[i]) and attribution(texts[i]) is None
                and attribution(texts[i - 1]) is not None)
