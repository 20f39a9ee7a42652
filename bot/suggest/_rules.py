"""The question-shaping rules beyond people: counts and amounts, reported speech, causes, deeds done by
someone, dates and what an organisation did.

Decisions:

* **From the shapes of news sentences, never from their words.** Each candidate comes from one sentence
  and one rule about how news copy is written: a person introduced with a title, a role or an apposition
  ("Who is Ingrid Dahl?"), an organisation introduced with an apposition ("What is Medibook?"), someone
  doing something ("Who led the dissenting votes?", "Who won the men's race?"), a count or an amount
  ("How many islanders are affected?", "How many signatures did the petition collect?", "How much did
  revenue rise?"), reported speech ("What did the council say about the school?"), a cause ("Why were
  the crossings cancelled?", "What delayed the project?"), a date ("When will the libraries close?")
  and what an organisation did ("What did Talvene reopen?"). The rules about people are in
  :mod:`bot.suggest._people`, the rest here. People come from :mod:`bot.extractive.news` (``people_in``,
  ``is_person_like``, ``named_subject``, ``attribution``), names from :mod:`bot.extractive.lexicon`. The
  rules read English without a tagger, so each is narrow; what a narrow rule lets through is caught by
  the bot's own answer (:mod:`bot.suggest`).
"""

from __future__ import annotations

import re

from bot.extractive import news
from bot.extractive.lexicon import DATE_WORDS, NAME_RUN, YEAR
from bot.extractive.news import _TITLES  # the one list of personal titles ("Dr.", "Councillor")
from bot.suggest._clauses import _CLAUSE, _DET, _LOWER, _SUBJ, _clauses, _did, _subject
from bot.suggest._words import (
    _AUX, _COUNT, _IRREGULAR, _NOT_TOPIC, _REPORTING, _STOP, Candidate, _is_past, _proper, _question, _trim, base_form,
)
from index.terms import stem

# -- figures -------------------------------------------------------------------------------------
_QUALIFIER = (r"(?i:about|around|some|nearly|almost|more\s+than|over|at\s+least|up\s+to|fewer\s+than|roughly|"
              r"an\s+estimated|a\s+record|a\s+total\s+of|only|just)\s+")
_PLURAL = rf"(?:{_LOWER}\s+){{0,2}}?(?:(?!{_STOP})[a-z][\w-]*s|people|children|men|women|staff|police)\b"
_MONEY = (r"[$€£]\s?\d[\d,.]*(?:\s+(?:million|billion|thousand))?"
          r"|\d[\d,.]*(?:\s+(?:million|billion|thousand))?\s+"
          r"(?:euros?|dollars?|pounds?|crowns?|francs?|kronor|rupees?|yen|yuan)")
_PERCENT = r"\d[\d,.]*\s*(?:percent|per\s+cent|%)"
_UNITS = frozenset("percent cent years months weeks days hours minutes seconds times points goals".split())
#: a count that opens a clause: "About 300 residents (a day | on the island) attended …"
_SUBJECT_COUNT = re.compile(
    rf"(?:{_QUALIFIER})?(?:{_COUNT})\s+(?P<noun>{_PLURAL}(?:\s+(?:a|per|each)\s+(?:day|week|month|year)"
    rf"|\s+(?:on|in|at|from|of|across)\s+(?:the\s+)?(?:{_LOWER}\s+)?{_LOWER})?)"
    rf"\s+(?P<vp>(?:(?:{_AUX}|were|are)\s+)?(?:been\s+)?[a-z]+\b.*)")
#: the figure a verb takes: an amount, a share ("16 percent of its seats") or a count
_OBJECT_COUNT = re.compile(
    rf"(?:by\s+)?(?:{_QUALIFIER})?(?:(?P<money>{_MONEY})|(?P<pct>{_PERCENT})(?:\s+of\s+(?P<whole>(?:{_DET}\s+)?{_LOWER}))?"
    rf"|(?:{_COUNT})\s+(?P<noun>{_PLURAL}))(?P<after>.*)")


def _how_many(sentences: list[str], text: str) -> list[Candidate]:
    """Counts that open a clause ("About 300 residents attended …") and figures a clause's verb takes
    ("… collected 2,400 signatures", "Revenue rose 16 percent", "… could raise about $5 million")."""
    out = []
    for i, sentence in enumerate(sentences):
        clauses = _clauses(sentence, relative="any")
        for clause in clauses + [sentence[m.end():] for m in re.finditer(r",\s+", sentence)]:
            m = _SUBJECT_COUNT.match(clause)
            if m and not _UNITS & set(m.group("noun").split()) and not _REPORTING.search(" ".join(m.group("vp").split()[:3])):
                verb, vp = m.group("vp").split()[0], _trim(m.group("vp"))
                # no question over MAX_WORDS ("About 300 elderly island residents a day attended …"): the
                # clause's object count below may still make one
                if (re.fullmatch(rf"{_AUX}|were|are", verb) or _is_past(verb)) and len(vp) >= 2 \
                        and (counted := _question("How many", m.group("noun"), *vp)):
                    out.append(Candidate(counted, i, "how_many"))
                    break
            m = _CLAUSE.match(clause) if clause in clauses else None
            subj = _subject(m.group("subj"), text) if m and not _REPORTING.fullmatch(m.group("verb")) else None
            did = _did(m.group("aux"), m.group("verb"), subj, present=True) if m and subj else None
            o = _OBJECT_COUNT.match(m.group("rest")) if m and did else None
            if not o or not did:
                continue
            where = re.match(r"\s+(?:in|on|to|from|for|without|across)\b", o.group("after"))
            after = _trim(o.group("after"), 3) if where else []
            if o.group("noun") and not _UNITS & set(o.group("noun").split()):
                q = _question("How many", o.group("noun"), *did, *after)
            elif o.group("whole"):
                q = _question("What share of", o.group("whole"), *did)
            else:
                q = _question("How much", *did, *after) if o.group("money") or o.group("pct") else None
            if q:
                out.append(Candidate(q, i, "how_many"))
                break
    return out


# -- speech, causes, dates, deeds -------------------------------------------------------------------
_TOPIC = re.compile(rf"(?:^|\s)(?:(?P<det>the|this|these|its|their|a|an)\s+(?P<np>(?:{_LOWER}(?:['’]s)?\s+){{0,2}}?{_LOWER})"
                    rf"|(?P<name>{NAME_RUN.pattern}))(?=\s+(?:{_AUX}|is|are|was|were|did|does|to|of|in|on|at|for|and|"
                    rf"[a-z]+ed)\b|[,.;:!?”\"]|$)")
_SPEAKER_OPENING = re.compile(
    rf"(?P<subj>(?:The\s+)?{NAME_RUN.pattern}|{_DET}\s+[a-z]+(?:\s+[a-z]+)?)\s+(?:also\s+)?"
    r"(?:said|says|told\s+\w+|added|warned|argued|announced|insisted|noted)(?:\s+(?:that|on\s+\w+))?\s+(?P<what>.+)")


def _topic(what: str, speaker: str, folks: dict[str, int], text: str, texts: list[str]) -> str | None:
    """What a statement is about: its first noun phrase or name that the article comes back to, that
    is not a time, a figure, a person or the speaker."""
    named = {w for name in folks for w in name.split()}
    for m in _TOPIC.finditer(what):
        np = (m.group("np") or m.group("name")).rstrip(".")
        words = np.split()
        if {words[0].lower(), words[-1].lower()} & _NOT_TOPIC or np in speaker or len(words) > 3 or DATE_WORDS.search(np) \
                or any(w.endswith("ly") or w in _TITLES or w in named for w in words):
            continue
        if m.group("det"):
            head = stem(words[-1].lower())
            if sum(head in map(stem, re.findall(r"[a-z]+", t.lower())) for t in texts) >= 2:
                return "the " + np
        elif len(np) > 2 and not re.search(r"['’]$|^The\s", np) and (len(words) > 1 or _proper(np, text)):
            return ("the " if re.search(r"\bthe\s+$", what[: m.start("name")]) else "") + np
    return None


def _said(sentences: list[str], folks: dict[str, int], text: str) -> list[Candidate]:
    """"What did X say about Y?": X the speaker (named, or the one a pronoun stands for), Y what
    their statement or quote is about (:func:`_topic`)."""
    out: list[Candidate] = []
    plain: list[Candidate] = []
    asked: set[tuple[str, str | None]] = set()
    for i, sentence in enumerate(sentences):
        speaker, what = None, ""
        named = news.named_subject(sentences, i, 0)
        opening = _SPEAKER_OPENING.match(sentence)
        if named:
            speaker, what = named[1], re.sub(r"^\s*(?:also\s+)?\w+(?:\s+reporters)?(?:\s+that)?\s+", "", sentence[named[0]:])
        elif opening:
            speaker, what = opening.group("subj"), opening.group("what")
        elif (span := news.attribution(sentence)) is not None:  # '"…," said X' or "X said …"
            runs = re.finditer(rf"(?:the\s+)?{NAME_RUN.pattern}", sentence[span[0]:span[1]])
            names = [m.group(0) for m in runs if m.group(0) not in _TITLES]
            known = [n for n in names if any(n.endswith(f.split()[-1]) for f in folks)]
            before, after = sentence[: span[0]], sentence[span[1]:]
            speaker = next(iter(known or names), None)
            what = before if re.search(r"[“\"”]", before) or not after.strip() else after
        if not speaker or not what:
            continue
        speaker = next((n for n in folks if n.split()[-1] == speaker.split()[-1]), speaker)
        subj, topic = _subject(speaker, text), _topic(what, speaker, folks, text, sentences)
        if subj and (subj, topic) not in asked:
            asked.add((subj, topic))
            if q := _question("What did", subj, "say", "about" if topic else "", topic or ""):
                (out if topic else plain).append(Candidate(q, i, "said"))
    return out + plain  # "What did X say?" only after every question about what X said about something


_CAUSE = (r"(?:because|due\s+to|owing\s+to|as\s+a\s+result\s+of|amid|after|following)\s+"
          r"(?!\d|(?:the\s+|a\s+)?(?:\w+\s+)?(?:minutes?|hours?|days?|weeks?|months?|years?|half-time)\b)")
_PASSIVE = re.compile(rf"{_SUBJ}\s+(?P<be>was|were|is|are|has\s+been|have\s+been|had\s+been)\s+"
                      rf"(?P<part>[a-z]+ed|[a-z]+en|{'|'.join(_IRREGULAR)})\s+(?P<mid>(?:[a-z]+\s+){{0,3}}?){_CAUSE}")
_ACTIVE_CAUSE = re.compile(rf"{_SUBJ}\s+(?:(?P<aux>{_AUX})\s+)?(?P<verb>[a-z]+)\s+(?P<obj>[^,;]{{1,60}}?)\s+"
                           r"(?:because|due\s+to|owing\s+to|as\s+a\s+result\s+of)\s")
_CAUSED_BY = re.compile(rf"\b(?:the|a|an)\s+(?P<np>(?:{_LOWER}\s+){{0,2}}?{_LOWER})\s+"
                        r"(?P<v>caused|triggered|sparked|prompted|fuelled|fueled)\s+by\b")


def _why(sentences: list[str], text: str) -> list[Candidate]:
    """"Why were <they> <done>?", "Why did <subject> <do it>?" for a clause that gives its cause, and
    "What caused the <thing>?" for "the <thing> caused by …"."""
    out = []
    for i, sentence in enumerate(sentences):
        q = None
        for clause in _clauses(sentence):
            m = _PASSIVE.match(clause)
            if m and (subj := _subject(m.group("subj"), text)):
                be = m.group("be").split()
                q = _question("Why", be[0], subj, *be[1:], m.group("part"), *_trim(m.group("mid"), 3))
            elif (m := _ACTIVE_CAUSE.match(clause)) and (subj := _subject(m.group("subj"), text)):
                did = _did(m.group("aux"), m.group("verb"), subj)
                obj = _trim(m.group("obj")) if did and not _REPORTING.fullmatch(m.group("verb")) else []
                q = _question("Why", *did, *obj) if did and obj else None
            if q:
                break
        if not q and (m := _CAUSED_BY.search(sentence)) and m.group("np").split()[-1] not in _NOT_TOPIC:
            q = _question("What", m.group("v"), "the", m.group("np"))
        if q:
            out.append(Candidate(q, i, "why"))
    return out


#: past participles that are also the past tense ("The race was won by …" → "Who won the race?")
_SAME_PAST = frozenset("won held led built made sent paid found bought sold met left kept caught brought taught told "
                       "shot struck hit cut set put spent lost".split())
_AGENT = re.compile(
    rf"(?:^|[,;]\s+|\s(?:and|but|as|after)\s+){_DET}\s+(?P<np>(?:{_LOWER}(?:['’]s)?\s+){{0,2}}{_LOWER}),?\s+(?:which\s+)?"
    rf"(?:(?P<be>was|were|is|are|will\s+be|has\s+been|have\s+been|had\s+been)\s+)?(?P<part>[a-z]+ed|{'|'.join(_SAME_PAST)})"
    rf"(?P<particle>\s+(?:up|off|out|down|back|over))?(?:\s+[^,;.]{{1,50}}?)??\s+by\s+"
    rf"(?:(?:(?:the|a|an|its|his|her)\s+)?(?:[a-z][\w-]*\s+){{0,3}}(?P<agent>{NAME_RUN.pattern})"
    rf"|the\s+(?P<thing>{_LOWER})\s+of\s)")


def _by_whom(sentences: list[str], text: str) -> list[Candidate]:
    """"Who <did> the <thing>?" for a thing done by someone named ("The men's race was won by Daniel
    Oduya", "The jury, chaired by the veteran actor Henrik Soll"); "What <did> the <thing>?" when an
    event did it ("The project was delayed by the discovery of …")."""
    out = []
    for i, sentence in enumerate(sentences):
        m = _AGENT.search(sentence)
        if not m or m.group("np").split()[-1] in _NOT_TOPIC:
            continue
        verb = f"will {base_form(m.group('part')) or ''}" if m.group("be") == "will be" else m.group("part")
        if q := _question("Who" if m.group("agent") else "What", verb, m.group("particle"), "the", m.group("np")):
            out.append(Candidate(q, i, "who_did"))
    return out


_WHEN = re.compile(rf"{_SUBJ}(?:,\s+which)?\s+(?:(?P<aux>will|would|(?:is|are)\s+due\s+to|[a-z]+s)\s+)?(?P<verb>[a-z]+)\s+"
                   rf"(?P<mid>(?:[\w-]+\s+){{0,3}}?)(?:on|in|at|by|from|until|before|next|this)\s+(?P<when>[^,;.]{{1,40}})")


def _when(sentences: list[str], text: str) -> list[Candidate]:
    """"When will <subject> <do it>?" (or did, or does) for a clause that dates what its subject does."""
    out = []
    for i, sentence in enumerate(sentences):
        for clause in _clauses(sentence, relative="common"):
            m = _WHEN.match(clause)
            dated = m is not None and (DATE_WORDS.search(m.group("when")) or YEAR.search(m.group("when")))
            if not m or not dated or _REPORTING.fullmatch(m.group("verb")) or re.search(r"\d|[A-Z]", m.group("mid")):
                continue
            if (subj := _subject(m.group("subj"), text)) is None:
                continue
            aux, verb, mid = m.group("aux"), m.group("verb"), m.group("mid")
            did: tuple[str, str, str] | None
            if aux in ("will", "would"):
                did = ("will", subj, verb)
            elif verb in ("has", "have", "had") and mid.startswith("been "):  # "which had been granted in 2019"
                did, mid = (verb, subj, "been"), mid[5:]
            elif aux and aux.endswith("due to"):  # "is due to open in 2028"
                did = (aux.split()[0], subj, f"due to {verb}")
            elif aux in ("was", "were") and _is_past(verb):
                did = (aux, subj, verb)
            elif aux and aux.endswith("s") and verb == "effect":  # "which takes effect on April 1"
                did = ("does", subj, aux[:-1] + " effect")
            else:
                did = None if aux or verb in ("has", "have", "had") else _did(None, verb, subj)
            if did and (q := _question("When", *did, *_trim(mid, 3))):
                out.append(Candidate(q, i, "when"))
                break
    return out


#: verbs too light for "What did X <verb>?" ("What did the club take?")
_LIGHT_VERBS = frozenset("be have do take make get give go come put set keep hold see".split())


def _what_did(sentences: list[str], folks: dict[str, int], text: str) -> list[Candidate]:
    """"What did <organisation> <do>?" for an organisation or group the article names more than once
    that opens a sentence as its subject, with a named or determined object ("… won the Cup")."""
    out = []
    for i, sentence in enumerate(sentences):
        m = _CLAUSE.match(sentence)
        if not m or not re.match(rf"(?:{_DET}\s|[A-Z])", m.group("rest")) or _REPORTING.fullmatch(m.group("verb")):
            continue
        subj = _subject(m.group("subj"), text)
        if not subj or text.count(subj.split()[-1]) < 2 or any(subj.endswith(n.split()[-1]) for n in folks):
            continue
        did = _did(m.group("aux"), m.group("verb"), subj)
        if did and did[2] not in _LIGHT_VERBS and (q := _question("What", *did)):
            out.append(Candidate(q, i, "what_did"))
    return out
