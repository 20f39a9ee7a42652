"""The words a suggested question is built from: the shared word lists, past-tense verbs and how a
question is cut from a clause of the article.

Decisions:

* **Short, and never giving the answer away.** A question copies at most :data:`MAX_COPIED` words of a
  clause, stops at the clause's end or before a figure (a phrase cut short is dropped whole), and has at
  most :data:`MAX_WORDS` words; a who-question never holds the person's name, a how-many question never
  the figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extractive.lexicon import STATEMENT
from index.terms import STOPWORDS

__all__ = ["MAX_COPIED", "MAX_WORDS", "Candidate", "base_form"]

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
#: a count, in digits or in words (a figure is never copied into a question)
_COUNT = (r"\d[\d,.]*(?:\s+(?:million|billion|thousand))?|(?i:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
          r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds|thousands|dozens)")


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
    out: list[str] = []
    cut = figure = False
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


def _question(*parts: str | None) -> str | None:
    text = re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()
    if not text or len(text.split()) > MAX_WORDS:
        return None
    return text[0].upper() + text[1:] + "?"


def _proper(word: str, text: str) -> bool:
    """A capitalised word is a name when the text also capitalises it inside a sentence."""
    return re.search(rf"[\w,;:’'\")]\s+{re.escape(word)}\b", text) is not None

