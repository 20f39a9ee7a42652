import numpy as np
import pytest

from bot.extractive.question import AnswerType, answer_type, focus_name, parse_question, question_negated

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("question, kind", [
    ("Who led the research?", AnswerType.PERSON),
    ("Who led the troops when the city fell?", AnswerType.PERSON),
    ("When did the line open?", AnswerType.DATE),
    ("What year was it built?", AnswerType.DATE),
    ("Where is the harbour?", AnswerType.PLACE),
    ("How many people took part?", AnswerType.NUMBER),
    ("What is the population of Lisbon?", AnswerType.NUMBER),
    ("What did the mayor say about the tram?", AnswerType.STATEMENT),
    ("What happened when the council met?", None),
])
def test_answer_type_comes_from_the_first_wh_word(question, kind):
    assert answer_type(question) == kind
    assert kind is None or answer_type(question) == kind.value  # a str: compares equal to its value


def test_negation_inside_a_condition_asks_about_what_happens():
    assert question_negated("Which country was not hit?") == 1.0
    assert question_negated("What happens if no deal is reached?") == 0.0
    assert question_negated("Whether or not it rains, who plays?") == 0.0


def test_focus_and_parsed_fields(fake):
    assert focus_name("What did the European Union say about it?") == "European Union"
    vector, pieces = fake.embed_query_tokens("How much did the Harbour Tram cost in 2024?")
    q = parse_question("How much did the Harbour Tram cost in 2024?", vector, pieces, fake)
    assert q.kind == AnswerType.NUMBER and q.numbers == {"2024"} and {"harbour", "tram"} <= q.names
    assert q.word_vecs.shape == (len(q.words), fake.size) and np.allclose(np.linalg.norm(q.word_vecs, axis=1), 1)
    assert len(q.token_vecs) == 5  # much, harbour, tram, cost, 2024: "how", "did", "the", "in" are stop words
