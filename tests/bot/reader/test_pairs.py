"""The reader's training pairs: gold sentences, the ranker's hardest other sentences, the tempting sentence."""

from __future__ import annotations

import random

import pytest

from bot.reader.pairs import HARD_NEGATIVES, context, overlapping, question_pairs

pytestmark = pytest.mark.unit

SENTENCES = ["The council met on Monday.", "It approved the tram line by 31 votes to 12.", "Work starts in March.",
             "The mayor said the line would cost 240 million euros.", "Protesters gathered outside.", "The vote ended late."]
STARTS = [0, 27, 73, 95, 150, 180]
ENDS = [s + len(t) for s, t in zip(STARTS, SENTENCES)]


def test_a_sentence_is_read_with_the_title_and_the_sentence_before():
    assert context(SENTENCES, 1, "Tram vote") == "It approved the tram line by 31 votes to 12. [SEP] Tram vote. The council met on Monday."
    assert context(SENTENCES, 0, "Tram vote") == "The council met on Monday. [SEP] Tram vote."


def test_overlapping_finds_the_sentences_a_span_touches():
    assert overlapping(STARTS, ENDS, [(30, 40)]) == [1]
    assert overlapping(STARTS, ENDS, [(70, 80)]) == [1, 2]
    assert overlapping(STARTS, ENDS, []) == []


def test_an_answerable_question_gives_its_gold_sentence_and_the_rankers_hardest_others():
    order = [3, 1, 2, 0, 5, 4]  # the ranker likes the cost sentence best; the answer is second
    pairs = question_pairs("How did the council vote?", SENTENCES, STARTS, ENDS, "Tram vote", order, answerable=True,
                           gold=[(40, 60)], group="g", source="news", rng=random.Random(1))
    assert [p.label for p in pairs][:1] == [1.0] and pairs[0].passage.startswith(SENTENCES[1])
    negatives = [p.passage.split(" [SEP] ")[0] for p in pairs if p.label == 0.0]
    assert negatives[:HARD_NEGATIVES] == [SENTENCES[i] for i in (3, 2, 0, 5)]  # the ranker's best, gold left out
    assert SENTENCES[1] not in negatives and len(negatives) == HARD_NEGATIVES + 1  # and one random other
    assert {p.group for p in pairs} == {"g"} and {p.source for p in pairs} == {"news"}


def test_an_out_of_scope_question_gives_only_negatives_with_its_tempting_sentence():
    order = [0, 5, 1, 2, 3, 4]
    pairs = question_pairs("How much did the mayor earn?", SENTENCES, STARTS, ENDS, "Tram vote", order, answerable=False,
                           tempting=[(STARTS[3], ENDS[3])], rng=random.Random(1))
    assert all(p.label == 0.0 for p in pairs)
    assert any(p.passage.startswith(SENTENCES[3]) for p in pairs)  # the tempting sentence, though the ranker put it 5th


def test_an_answerable_question_whose_gold_matches_no_sentence_gives_nothing():
    assert question_pairs("Who?", SENTENCES, STARTS, ENDS, "t", list(range(6)), answerable=True, gold=[(999, 1005)]) == []
