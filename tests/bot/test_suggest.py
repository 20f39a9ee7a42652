"""Suggested questions: candidates made from sentences (unit), and kept only when the real bot answers them (slow)."""

import re
import shutil
import threading

import pytest

from bot.chain import NewsBot
from bot.settings import Settings
from bot.suggest import CONFIDENCE_MARGIN, MAX_WORDS, base_form, candidates, people
from index.loader import Article
from tests.conftest import SEED_ID

# A story written for these tests (no corpus of the repository holds it): a dateline, people with titles
# and roles, organisations, figures as digits and as words, a quote, reported speech and a credit line.
STORY = """Keldmouth Water Board Approves Desalination Plant After Two-Year Dispute

KELDMOUTH, June 18 (Westcoast Wire) - Keldmouth's regional water board approved a 96 million euro desalination plant on \
Monday, ending a two-year dispute with fishermen who said the plant's outflow would harm the bay's shellfish beds.

The plant, which will be built by the engineering firm Brannock Hydro, will supply up to 40,000 cubic metres of drinking \
water a day, enough for about 150,000 residents. Construction will start in September.

"We have had three dry summers in a row. We cannot keep asking people to choose between their gardens and their \
showers," said Ingrid Dahl, the chair of the water board.

Dahl said the board had added a 2-kilometre outflow pipe to the design after marine biologists warned that warm brine \
could damage the oyster beds near the harbour mouth.

The Keldmouth Fishermen's Association, which represents 220 boat owners, said it would not appeal. Its president, Tomas \
Reyes, told reporters the new pipe was "a fair compromise" but that the association would test the water every month.

Water use in the region rose 11 percent last year, while rainfall fell to its lowest level since records began in 1952. \
Reservoirs were at 38 percent of capacity at the end of May.

About 600 residents signed a petition against the plant, arguing that its electricity use would raise household bills. \
The board said the plant would run mainly on power from a nearby wind farm.

Councillor Maria Okonjo, who voted against the project, said the cost estimate had doubled since 2023 and that the board \
should have repaired leaking pipes first. The board estimates that leaks waste 14 percent of the water it treats.

Brannock Hydro expects to hire 180 workers during construction. The plant is due to open in 2028.

Reporting by Sanne Vogel; Editing by Paul Adair
"""
STORY_ID = "keldmouth-desalination"


# -- candidates (unit) -----------------------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("past, base", [
    ("approved", "approve"), ("collected", "collect"), ("cancelled", "cancel"), ("planned", "plan"), ("carried", "carry"),
    ("agreed", "agree"), ("won", "win"), ("closed", "close"), ("raised", "raise"), ("opened", "open"), ("declined", "decline"),
    ("scored", "score"), ("ruled", "rule"), ("handled", "handle"), ("stopped", "stop"), ("added", "add"), ("voted", "vote"),
    ("controlled", "control"), ("merged", "merge"), ("changed", "change"), ("delayed", "delay"), ("reached", "reach"),
    ("estimated", "estimate"), ("received", "receive"), ("announced", "announce"), ("signed", "sign"), ("hired", "hire"),
    ("budget", None), ("red", None),
])
def test_base_form(past, base):
    assert base_form(past) == base


@pytest.mark.unit
def test_people_are_named_as_news_copy_names_them():
    sentences = [
        "Marlow Town beat Eastfield United 3-1 on Saturday in front of 9,000 fans.",
        "Marlow took the lead after ten minutes through a header from captain Joel Brant.",
        "Pellow Harbour, which runs the island ferries, said sailings would resume on Monday.",
        '"We never gave up," Brant said.',
        "Councillor Rosa Lindqvist said the town would hold a parade.",
    ]
    found = people(sentences)
    assert set(found) == {"Joel Brant", "Rosa Lindqvist"}  # no team, no company
    assert found["Rosa Lindqvist"] == 4 and found["Joel Brant"] == 1  # where each one's title or role is


SENTENCES = [
    "About 250 volunteers cleared the beach at Sandvik on Saturday.",
    "The museum received 12,000 visitors in its first week, the city said.",
    "Revenue rose 8 percent to 40 million euros.",
    "The sale could raise about $2 million.",
    '"We will rebuild the harbour wall," said Anna Berg, the mayor of Tollby.',
    "Berg said the harbour wall would be repaired by the spring.",
    "The ferries were cancelled because of high winds.",
    "The new bridge will open in March.",
    "The race was won by Lena Fors.",
    "Novatek, a software company based in Tollby, said it would hire 40 engineers.",
    "Shares in Novatek fell 3 percent.",
    "",  # a credit line, removed: its place is kept
]


@pytest.mark.unit
@pytest.mark.parametrize("question", [
    "How many volunteers cleared the beach at Sandvik on Saturday?",
    "How many visitors did the museum receive?",
    "How much did revenue rise?",
    "How much could the sale raise?",
    "Who is Anna Berg?",
    "What did Anna Berg say about the harbour wall?",
    "Why were the ferries cancelled?",
    "When will the new bridge open?",
    "Who won the race?",
    "What is Novatek?",
])
def test_each_shape_of_sentence_makes_its_question(question):
    assert question in [c.question for c in candidates(SENTENCES, limit=100)]


@pytest.mark.unit
def test_questions_are_short_and_never_hold_their_answer():
    found = candidates(SENTENCES, limit=100)
    assert found
    for c in found:
        words = c.question.split()
        assert c.question[0].isupper() and c.question.endswith("?") and len(words) <= MAX_WORDS
        assert c.question.count("?") == 1 and '"' not in c.question and "“" not in c.question
        if c.question.startswith(("How many", "How much")):
            assert not re.search(r"\d", c.question), c.question  # never the figure asked for
        if c.question.startswith("Who") and not c.question.startswith("Who is"):
            assert not {"Berg", "Fors", "Anna", "Lena"} & set(re.findall(r"\w+", c.question)), c.question


@pytest.mark.unit
def test_kinds_are_taken_in_turn_up_to_the_limit():
    found = candidates(SENTENCES, limit=4)
    assert len(found) == 4 and len({c.kind for c in found}) == 4
    assert len({c.question.lower() for c in candidates(SENTENCES, limit=100)}) == len(candidates(SENTENCES, limit=100))
    assert candidates([]) == [] and candidates(["", ""]) == []


@pytest.mark.unit
def test_no_rule_needs_a_particular_article():
    """A sports report and a court report, in wire style, give candidates of several kinds."""
    sports = [
        "Striker Tomas Wilk scored twice as Harbury Athletic beat Lowfield 3-0 on Sunday.",
        "About 14,000 fans watched the match at the Marsh Road ground.",
        "The second goal was set up by Kai Orrell.",
        "Wilk, 24, said the team would not celebrate yet.",
    ]
    court = [
        "A former bank manager, Helen Voss, was jailed for six years on Friday for stealing 2.1 million euros from clients.",
        "Judge Amir Stone said Voss had shown no remorse.",
        "The money was taken from 48 accounts over five years.",
        "Voss will appeal, her lawyer said.",
    ]
    for sentences in (sports, court):
        found = candidates(sentences, limit=100)
        assert len({c.kind for c in found}) >= 2, found
    assert "How many fans watched the match?" in [c.question for c in candidates(sports)]  # "at the Marsh Road" cut whole
    assert "Who set up the second goal?" in [c.question for c in candidates(sports)]


# -- with the real model (slow) -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def story_dir(tmp_path_factory):
    """A data dir holding STORY, ingested once, without metadata."""
    root = tmp_path_factory.mktemp("story")
    path = root / f"{STORY_ID}.txt"
    path.write_text(STORY, encoding="utf-8")
    NewsBot(Settings(data_dir=root / "data")).ingest_file(path)
    return root / "data"


@pytest.fixture
def story_bot(story_dir, tmp_path) -> NewsBot:
    data = tmp_path / "story"
    shutil.copytree(story_dir, data)
    return NewsBot(Settings(data_dir=data))


@pytest.mark.slow
def test_an_article_without_metadata_gets_questions_the_bot_answers(story_bot):
    questions = story_bot.suggested_questions(STORY_ID)
    assert 3 <= len(questions) <= story_bot.settings.suggested_questions
    answers = []
    for question in questions:
        assert len(question.split()) <= MAX_WORDS and question.endswith("?")
        answer = story_bot.ask(question, [], STORY_ID)
        assert not answer.refused, question
        assert answer.confidence >= story_bot.extractive.threshold + CONFIDENCE_MARGIN, question
        assert answer.citations and all(STORY[c.start:c.end] == c.text for c in answer.citations), question
        answers.append(answer.answer)
    assert len(set(answers)) == len(answers)  # each question has its own answer
    assert story_bot.articles()[0]["suggested"] == questions


@pytest.mark.slow
def test_suggestions_are_made_once_per_revision(story_bot):
    before = story_bot.suggested_questions(STORY_ID)
    results = [None] * 4

    def ask(i):
        results[i] = story_bot.suggested_questions(STORY_ID)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [before] * 4
    changed = STORY.replace("220 boat owners", "220 trawler crews")
    assert "How many boat owners does the Keldmouth Fishermen's Association represent?" in before
    assert story_bot.ingest(Article(STORY_ID, story_bot.articles()[0]["title"], changed)).status == "updated"
    after = story_bot.suggested_questions(STORY_ID)
    assert "How many trawler crews does the Keldmouth Fishermen's Association represent?" in after
    assert story_bot.articles()[0]["suggested"] == after


@pytest.mark.slow
def test_rows_carry_suggestions_with_the_sidecar_questions_first(seed_bot):
    rows = seed_bot.articles()
    seed = next(r for r in rows if r["id"] == SEED_ID)
    assert seed["suggested"] == seed["questions"][:4]  # the default limit, all the sidecar's own
    assert seed_bot.articles() == rows  # cached, and a copy each time
    seed["suggested"].append("changed by a caller")
    assert next(r for r in seed_bot.articles() if r["id"] == SEED_ID)["suggested"] == seed["questions"][:4]

    more = NewsBot(Settings(data_dir=seed_bot.settings.data_dir, suggested_questions=7))
    suggested = next(r for r in more.articles() if r["id"] == SEED_ID)["suggested"]
    assert suggested[:4] == seed["questions"] and len(suggested) > 4 and len(set(suggested)) == len(suggested)
    for question in suggested[4:]:
        assert not more.ask(question, [], SEED_ID).refused, question

    none = NewsBot(Settings(data_dir=seed_bot.settings.data_dir, suggested_questions=0))
    assert all(r["suggested"] == [] for r in none.articles())


@pytest.mark.slow
def test_suggestions_are_kept_in_the_database_for_every_process(story_bot):
    made = story_bot.suggested_questions(STORY_ID)
    again = NewsBot(Settings(data_dir=story_bot.settings.data_dir))  # another process, say a second worker
    assert again.suggested_questions(STORY_ID) == made
    assert not again.evidence._items  # read from the database: the article's evidence was never built
    stricter = NewsBot(Settings(data_dir=story_bot.settings.data_dir, refusal_threshold=0.99))
    assert stricter.suggested_questions(STORY_ID) != made  # another threshold: made again, under its own key


@pytest.mark.unit
def test_after_a_change_the_article_list_is_read_again_in_the_background():
    """No page waits for the archive's article list (seconds at 100,000): once read, a change makes a thread
    read it again, and until it is done the list read before is given; one article's row is read alone."""
    from bot.suggest.cache import REREAD_WAIT_S, SuggestionCache
    from tests.fakes import FakeStore, FakeTokenEmbeddings

    class SlowList(FakeStore):
        def __init__(self, embeddings) -> None:
            super().__init__(embeddings)
            self.release, self.reading = threading.Event(), threading.Event()
            self.release.set()

        def articles(self, article_ids=None):
            if article_ids is None:
                self.reading.set()
                assert self.release.wait(30)
            return super().articles(article_ids)

    store = SlowList(FakeTokenEmbeddings())
    store.ingest(Article("tram", "Harbour tram", "The council approved a tram line. It will cost 240 million euros."))
    cache = SuggestionCache(store, None, lambda article_id, n: [], limit=0, config=[])
    assert [r["id"] for r in cache.rows()[1]] == ["tram"]
    store.ingest(Article("dam", "Dam inspected", "Engineers inspected the dam after the floods."))
    store.release.clear()
    store.reading.clear()
    assert [r["id"] for r in cache.rows()[1]] == ["tram"]  # the list read before, after REREAD_WAIT_S
    assert store.reading.wait(30) and REREAD_WAIT_S < 5
    assert cache.row("dam")["title"] == "Dam inspected" and cache.row("nope") is None  # one row: read now
    store.release.set()
    for _ in range(300):
        if [r["id"] for r in cache.rows()[1]] == ["dam", "tram"]:
            break
        threading.Event().wait(0.1)
    assert [r["id"] for r in cache.rows()[1]] == ["dam", "tram"]
