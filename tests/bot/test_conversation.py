import pytest

from bot.conversation import names_in, resolve_followup
from bot.extractive.question import answer_type, focus_name, question_negated
from index.errors import InputError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "question, history, expected",
    [
        ("Where did they meet?", ["Who did Rijiju meet?"], "Where did Rijiju meet?"),
        ("Whom was he thanking?", ["What did Modi post on X?"], "Whom was Modi thanking?"),
        ("When was it granted?", ["What did the Edict of Nantes do?"], "When was Edict of Nantes granted?"),
        ("What is his title?", ["Who is Batu Khasikov?"], "What is Batu Khasikov's title?"),
        ("How long did the summit last?", ["What did India say about the Alaska summit?"], "How long did the Alaska summit last?"),
        ("Who won the vote?", ["Who is the mayor?"], "Who won the vote?"),
        ("What did she say?", ["what happened next?"], "what happened next? What did she say?"),
        ("Where did they meet?", [], "Where did they meet?"),
    ],
)
def test_followups_stand_alone(question, history, expected):
    assert resolve_followup(question, history) == expected


def test_a_pronoun_after_a_who_question_stands_for_the_answer():
    asked = []

    def answer_of(turn, earlier):
        asked.append((turn, earlier))
        return "Opposition leader Hana Ruud of Lakeshire said the plan was rushed. [1]"

    history = ["When was the budget passed?", "Who leads the opposition in Lakeshire?"]
    assert resolve_followup("What did she say was wrong?", history, answer_of) == "What did Hana Ruud say was wrong?"
    assert asked == [("Who leads the opposition in Lakeshire?", ["When was the budget passed?"])]
    # without the bot's answer, or when it refused, the rules fall back to a name in the question
    assert resolve_followup("What did she say?", history) == "What did Lakeshire say?"
    assert resolve_followup("What did she say?", history, lambda t, e: None) == "What did Lakeshire say?"
    # "Who is <Name>?" names the person itself: no answer needed
    assert resolve_followup("What did she say?", ["Who is Hana Ruud?"], answer_of) == "What did Hana Ruud say?"
    assert len(asked) == 1  # not asked again for "Who is Hana Ruud?"
    # "Who is Skyrenn's finance chief?" asks for a person it does not name
    assert resolve_followup("Why did he wait?", ["Who is Skyrenn's finance chief?"],
                            lambda t, e: "Finance chief Lars Eklund told analysts the company would wait.") == \
        "Why did Lars Eklund wait?"


def test_a_possessive_name_is_used_without_its_s():
    assert resolve_followup("Why did it cut the forecast?", ["What did Skyrenn's results show?"]) == \
        "Why did Skyrenn cut the forecast?"


def test_latest_name_wins():
    history = ["Who is Batu Khasikov?", "What did Narendra Modi say?"]
    assert resolve_followup("Whom did he call?", history) == "Whom did Narendra Modi call?"
    assert names_in("What did the European Union say about Alaska?") == ["European Union", "Alaska"]


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many delegates came?", "number"),
        ("When did the summit end?", "date"),
        ("In what year was it signed?", "date"),
        ("What year was it signed?", "date"),
        ("Whom did Putin meet?", "person"),
        ("Where did they meet?", "place"),
        ("What did India say?", "statement"),
        ("How did Moscow react to the talks?", "statement"),
        ("What is the capital of Kalmykia?", None),
        ("In what state was the tavern?", None),
        ("What is the population of Kalmykia?", "number"),
        ("What was the total cost of the bridge?", "number"),
        # the first wh-word decides, not a clause after it
        ("Who led the troops when Cyprus fell?", "person"),
        ("What happened when the oil ran out?", None),
        ("What did the ministry say when asked?", "statement"),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(question) == kind


def test_focus_name():
    assert focus_name("What did the European Union say about the summit?") == "European Union"
    assert focus_name("Is India only interested in ties?") == "India"
    assert focus_name("Who briefed Modi?") is None


@pytest.mark.parametrize(
    "question, negated",
    [
        ("Which country was not hit by the embargo?", 1.0),
        ("Why didn't the leaders take questions?", 1.0),
        ("Who never signed the treaty?", 1.0),
        ("Who signed the treaty?", 0.0),
        # a negation inside a condition asks what the article says will happen, not about something that did not
        ("What happens if no coalition deal is approved in time?", 0.0),
        ("What happens unless the council agrees?", 0.0),
        ("Who decides whether or not the bridge reopens?", 0.0),
    ],
)
def test_question_negated(question, negated):
    assert question_negated(question) == negated


def test_a_long_run_of_capitals_in_history_is_read_at_once():
    # "Who is AAAA…!" once made the who-names-a-person pattern backtrack exponentially
    assert resolve_followup("What did she say?", ["Who is " + "A" * 60 + "!"], lambda t, e: None) == \
        f"What did {'A' * 60} say?"


def test_a_turn_of_a_thousand_capitals_lends_only_the_names_right_before_the_noun():
    """The modifier is read backwards from each "summit" over at most 120 characters: a search for
    names-then-noun retried at every capital of such a turn took seconds per phrase of the question."""
    from bot.conversation import _modifier

    hostile = "A " * 499 + "Ab"
    long_run = "Ab " * 400 + "summit"
    found = _modifier(long_run, "summit")
    assert found is not None and set(found.split()) == {"Ab"} and len(found) <= 120
    assert _modifier("Leaders met. The Alaska summit ended; Putin left.", "summit") == "The Alaska"
    assert resolve_followup(("the a " * 166)[:1000], [hostile] * 3) == ("the a " * 166)[:1000]


def test_a_question_is_read_with_its_newest_turns_only():
    from bot.checks import HISTORY_TURNS, checked

    turns = [f"What did minister {i} say?" for i in range(3 * HISTORY_TURNS)]
    assert checked("And then?", turns, None, 1000).history == turns[-HISTORY_TURNS:]
    with pytest.raises(InputError, match="history item 1 is 1001 characters long"):  # every turn is still checked
        checked("And then?", ["x" * 1001, *turns], None, 1000)
