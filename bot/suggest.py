"""Suggested questions for any article, made from its own sentences and kept only when the bot answers them.

Decisions:

* **From the shapes of news sentences, never from their words.** Each candidate comes from one sentence
  and one rule about how news copy is written: a person introduced with a title, a role or an apposition
  ("Who is Ingrid Dahl?"), an organisation introduced with an apposition ("What is Medibook?"), someone
  doing something ("Who led the dissenting votes?", "Who won the men's race?"), a count or an amount
  ("How many islanders are affected?", "How many signatures did the petition collect?", "How much did
  revenue rise?"), reported speech ("What did the council say about the school?"), a cause ("Why were
  the crossings cancelled?", "What delayed the project?"), a date ("When will the libraries close?")
  and what an organisation did ("What did Talvene reopen?"). People come from
  :mod:`bot.extractive.news` (``people_in``, ``is_person_like``, ``named_subject``, ``attribution``),
  names from :mod:`bot.extractive.lexicon`. The rules read English without a tagger, so each is narrow;
  what a narrow rule lets through is caught by the bot's own answer (below).
* **Short, and never giving the answer away.** A question copies at most :data:`MAX_COPIED` words of a
  clause, stops at the clause's end or before a figure (a phrase cut short is dropped whole), and has at
  most :data:`MAX_WORDS` words; a who-question never holds the person's name, a how-many question never
  the figure.
* **Kept only when the bot answers it well.** Each candidate is asked as a reader would (no history,
  scoped to the article) of the extractive answerer: the answerer by default, and the gate and the
  fallback of the LLM answerers, so checking a candidate never calls an LLM. A candidate is kept when
  the answer is not refused, its confidence is at least :data:`CONFIDENCE_MARGIN` above the refusal
  threshold, and the first sentence it quotes is the one the question was made from (so the answer is
  the one the question was written for) and no earlier suggestion's (so each has its own answer).
* **Cheap.** At most :data:`MAX_CANDIDATES` candidates are asked per article, the kinds taken in turn so
  the first few cover people, figures, speech and events; asking stops at ``limit``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extractive import news
from bot.extractive.lexicon import ARTICLE_NAME_RUN, DATE_WORDS, NAME_RUN, STATEMENT, YEAR
from bot.extractive.news import _TITLES  # the one list of personal titles ("Dr.", "Councillor")
from index.terms import STOPWORDS, stem

__all__ = ["MAX_CANDIDATES", "Candidate", "base_form", "candidates", "people", "suggest_questions"]

#: candidates asked per article (each costs one answer, ~15-30 ms)
MAX_CANDIDATES = 16
#: how far above the refusal threshold an answer's confidence must be for its question to be suggested
CONFIDENCE_MARGIN = 0.15
#: the longest suggested question, in words
MAX_WORDS = 12
#: the most words a question copies from one clause of the article
MAX_COPIED = 7


@dataclass(frozen=True)
class Candidate:
    """A question made from sentence ``sentence`` by the rule ``kind``."""

    question: str
    sentence: int
    kind: str


# -- words ---------------------------------------------------------------------------------------
_STOP = rf"(?:{'|'.join(sorted(STOPWORDS | {'percent', 'per'}, key=len, reverse=True))})\b"
_BOUNDARY = frozenset("and but or after before when while because as which who that since although though if until "
                      "unless where whereas so than despite amid following including between".split())
#: words left dangling when a phrase is cut before a figure ("orders worth", "by about")
_DANGLING = STOPWORDS | frozenset("worth record total estimated nearly almost around roughly least".split())
#: words that open a phrase: a cut phrase is dropped from the last of them
_PHRASE_START = frozenset("of to in on at for from with by into over about after before during under between against "
                          "without through across towards toward near worth and or".split())
_AUX = r"has|have|had|will|would|could|can|may|might|should|must"
_BE = frozenset("was were is are".split())
_TITLE_RE = "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))
#: reporting verbs beyond lexicon.STATEMENT: a question about what was reported is a "say" question
_REPORTING = re.compile(rf"{STATEMENT.pattern}|confirm\w*|report\w*|reveal\w*|disclos\w*|estimat\w*|expect\w*|predict\w*",
                        re.IGNORECASE)
#: words that name a time, an order or an amount, never what a statement is about
_NOT_TOPIC = frozenset("other same first second third last next most rest whole best way time end fact lot one two three "
                       "morning afternoon evening night day days week weeks month months year years today season "
                       "spring summer autumn winter moment thing things".split())
#: past tense → base form, for the verbs whose past does not follow the rules of base_form
_IRREGULAR = dict(p.split(":") for p in (
    "won:win lost:lose took:take gave:give made:make sold:sell bought:buy paid:pay spent:spend left:leave led:lead "
    "met:meet held:hold found:find built:build began:begin became:become brought:bring caught:catch chose:choose "
    "came:come drew:draw drove:drive fell:fall felt:feel fought:fight flew:fly got:get grew:grow kept:keep knew:know "
    "laid:lay lent:lend ran:run rose:rise saw:see sent:send shot:shoot sank:sink spoke:speak stood:stand "
    "struck:strike swept:sweep taught:teach thought:think threw:throw told:tell wrote:write broke:break "
    "sought:seek stole:steal withdrew:withdraw upheld:uphold overtook:overtake dealt:deal meant:mean heard:hear "
    "said:say cut:cut hit:hit put:put set:set shut:shut hurt:hurt quit:quit spread:spread "
    "had:have did:do went:go added:add created:create invited:invite united:unite cited:cite focused:focus "
    "biased:bias developed:develop scored:score stored:store ignored:ignore restored:restore explored:explore "
    "postponed:postpone phoned:phone zoned:zone").split())
_PAST = rf"(?:[a-z]{{2,}}ed|{'|'.join(sorted(_IRREGULAR, key=len, reverse=True))})"
_RESTORE_E = re.compile(r"(?:[vzcu]|[^s]s|[bcdfgkptz]l|[^aeiou][iou]l|[dlr]g|[ae]ng|[^aeiou][aou]t|[^aeiou][aeiou][bdgkm]"
                        r"|[^aeiou][aiu]n|[^aeiou][aiu]r|[^aeiou][aiuy]p)$")


def base_form(past: str) -> str | None:
    """The base form of a past-tense verb ("approved" → "approve", "cancelled" → "cancel", "won" → "win"),
    or None when ``past`` does not look like one: the regular rules and a closed list of irregular verbs."""
    w = past.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if not w.endswith("ed") or len(w) < 5:
        return None
    stem_ = w[:-2]
    if stem_.endswith("i"):
        return stem_[:-1] + "y"
    if w.endswith("eed"):  # agreed, freed
        return w[:-1]
    if re.search(r"([bdgmnprt])\1$", stem_) or re.search(r"(?:..ell|uell|....oll)$", stem_):  # planned, cancelled
        return stem_[:-1]
    return stem_ + "e" if _RESTORE_E.search(stem_) else stem_


def _is_past(word: str) -> bool:
    return re.fullmatch(_PAST, word) is not None and base_form(word) is not None


def _trim(text: str, limit: int = MAX_COPIED) -> list[str]:
    """The words of ``text`` up to its clause's end or a figure, at most ``limit`` of them; a phrase
    that the limit or a figure cuts short is dropped whole, and no function word is left dangling."""
    out, cut, figure = [], False, False
    for w in text.split():
        bare = w.rstrip(",;:.!?”\"’'")
        if w[0] in "“\"(" or out and bare.lower() in _BOUNDARY:
            break
        if re.search(r"\d|^[$€£]", bare) or re.fullmatch(_COUNT, bare.lower()):
            cut = figure = True
            break
        out.append(bare)
        if bare != w:
            break
        if len(out) == limit:
            cut = len(text.split()) > limit
            break
    if cut and any(w.lower() in _PHRASE_START for w in out):
        out = out[: max(i for i, w in enumerate(out) if w.lower() in _PHRASE_START)]
    while out and out[-1].lower() in (_DANGLING if figure else STOPWORDS):
        out.pop()
    return out


def _question(*parts: str) -> str | None:
    text = re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()
    if not text or len(text.split()) > MAX_WORDS:
        return None
    return text[0].upper() + text[1:] + "?"


def _proper(word: str, text: str) -> bool:
    """A capitalised word is a name when the text also capitalises it inside a sentence."""
    return re.search(rf"[\w,;:’'\")]\s+{re.escape(word)}\b", text) is not None


# -- people --------------------------------------------------------------------------------------
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
    return bool(opener) and opener.group(1).lower() not in STOPWORDS and not _proper(opener.group(1), text)


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


# -- clauses and their subjects ---------------------------------------------------------------------
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
    base = base_form(verb) if _is_past(verb) else None
    return ("did", subj, base) if base and verb not in _BE else None


# -- figures -------------------------------------------------------------------------------------
_COUNT = (r"\d[\d,.]*(?:\s+(?:million|billion|thousand))?|(?i:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
          r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds|thousands|dozens)")
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
                if (re.fullmatch(rf"{_AUX}|were|are", verb) or _is_past(verb)) and len(vp) >= 2:
                    out.append(Candidate(_question("How many", m.group("noun"), *vp), i, "how_many"))
                    break
            m = _CLAUSE.match(clause) if clause in clauses else None
            subj = _subject(m.group("subj"), text) if m and not _REPORTING.fullmatch(m.group("verb")) else None
            did = _did(m.group("aux"), m.group("verb"), subj, present=True) if subj else None
            o = _OBJECT_COUNT.match(m.group("rest")) if did else None
            if not o:
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
    out, plain, asked = [], [], set()
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
            speaker = (known or names or [None])[0]
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
                q = _question("Why", *did, *obj) if obj else None
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
            dated = m and (DATE_WORDS.search(m.group("when")) or YEAR.search(m.group("when")))
            if not dated or _REPORTING.fullmatch(m.group("verb")) or re.search(r"\d|[A-Z]", m.group("mid")):
                continue
            if (subj := _subject(m.group("subj"), text)) is None:
                continue
            aux, verb, mid = m.group("aux"), m.group("verb"), m.group("mid")
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


_KINDS = ("who_is", "how_many", "said", "why", "who_did", "when", "what_did")


def candidates(sentences: list[str], limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Questions a reader could ask about ``sentences`` (an article's, without its dateline and credit
    lines; an empty string keeps a skipped sentence's place), the kinds taken in turn, at most ``limit``."""
    text = " ".join(sentences)
    folks = people(sentences)
    found = {
        "who_is": _who_is(sentences, folks, text),
        "how_many": _how_many(sentences, text),
        "said": _said(sentences, folks, text),
        "why": _why(sentences, text),
        "who_did": _by_whom(sentences, text) + _who_did(sentences, folks),
        "when": _when(sentences, text),
        "what_did": _what_did(sentences, folks, text),
    }
    out: list[Candidate] = []
    seen: set[str] = set()
    for rank in range(max(map(len, found.values()), default=0)):
        for kind in _KINDS:
            if rank < len(found[kind]) and found[kind][rank].question.lower() not in seen and len(out) < limit:
                seen.add(found[kind][rank].question.lower())
                out.append(found[kind][rank])
    return out


def suggest_questions(bot, article_id: str, limit: int) -> list[str]:
    """Up to ``limit`` questions about article ``article_id`` that ``bot`` (a :class:`bot.chain.NewsBot`)
    answers confidently, each with its own answer, made from the article's sentences (see the module)."""
    if limit <= 0:
        return []
    index = bot.evidence.get(article_id)
    layout, starts, ends = index.layout, index.sentences.starts, index.sentences.ends
    texts = ["" if layout.unquotable[i] else t[int(layout.quote_from[i]):] for i, t in enumerate(index.sentences.texts)]
    answerer, retriever = bot.extractive, bot.retriever(article_id)
    kept: list[str] = []
    firsts: set[int] = set()
    for candidate in candidates(texts):
        answer = answerer.answer(candidate.question, retriever.invoke(candidate.question))
        if answer.refused or (answer.confidence or 0.0) < answerer.threshold + CONFIDENCE_MARGIN:
            continue
        spans = [h for c in answer.citations for h in c.highlights]
        quoted = [i for a, b in spans for i in range(index.n) if a < ends[i] and starts[i] < b]
        if not quoted or quoted[0] != candidate.sentence or quoted[0] in firsts:
            continue
        firsts.add(quoted[0])
        kept.append(candidate.question)
        if len(kept) == limit:
            break
    return kept
