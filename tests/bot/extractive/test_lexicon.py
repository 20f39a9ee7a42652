import math

import numpy as np
import pytest

from bot.extractive import lexicon

pytestmark = pytest.mark.unit


def test_name_runs_join_of_and_the_and_in_articles_de():
    assert lexicon.NAME_RUN.findall("the Bank of England and Charles de Gaulle") == ["Bank of England", "Charles", "Gaulle"]
    assert [m.group() for m in lexicon.ARTICLE_NAME_RUN.finditer("Charles de Gaulle met O'Neill")] == ["Charles de Gaulle", "O'Neill"]


def test_idf_is_one_formula_for_scalars_and_arrays():
    assert lexicon.idf(9, 0) == math.log(10 / 0.5)
    array = lexicon.idf(9, np.asarray([0, 3]))
    assert array.tolist() == [lexicon.idf(9, 0), lexicon.idf(9, 3)]


@pytest.mark.parametrize("words, negations, expected", [
    (["it", "did", "not", "rain"], lexicon.NEGATIONS, 1.0),
    (["they", "didn't"], lexicon.NEGATIONS, 1.0),
    (["neither", "side"], lexicon.NEGATIONS, 0.0),
    (["neither", "side"], lexicon.SENTENCE_NEGATIONS, 1.0),
])
def test_negation(words, negations, expected):
    assert lexicon.negated(words, negations) == expected


def test_reported_speech_numbers_and_dates():
    assert lexicon.STATEMENT.search("the mayor said on Monday")
    assert lexicon.NUMBER_WORDS.search("two dozen people") and lexicon.DIGITS.findall("1,200 voters in 2024") == ["1,200", "2024"]
    assert lexicon.YEAR.search("in the 1990s") and lexicon.DATE_WORDS.search("on Tuesday")
