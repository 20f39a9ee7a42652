"""End to end with the real embedding model and a real embedded Chroma."""

import pytest

from bot.chain import NewsBot
from bot.citations import citation_problems
from index.errors import EmptyIndexError, InputError, UnknownArticleError
from tests.conftest import SEED_ID, SEED_TEXT, dev_set, passes

pytestmark = pytest.mark.slow


def _valid(answer):
    assert not citation_problems(answer.as_json(), SEED_TEXT)


def test_building_the_bot_loads_no_model(settings):
    bot = NewsBot(settings)
    assert bot.store._client is None
    assert bot.embeddings.model == settings.model_path


def test_retrieval_finds_the_welcome_passage(seed_bot):
    question = "What did India say about the Alaska summit?"
    passages = seed_bot.retriever().passages(question)
    assert len(passages) == seed_bot.settings.k
    assert any("formally welcomed" in p.text for p in passages[:3])
    for p in passages:
        assert SEED_TEXT[p.start : p.end] == p.text
        assert 0 < p.score <= 1
    # LangChain users get the same passages as Documents
    docs = seed_bot.retriever().invoke(question)
    assert [(d.page_content, d.metadata) for d in docs] == [
        (p.text, {"article_id": p.article_id, "title": p.title, "start": p.start, "end": p.end, "score": p.score}) for p in passages
    ]


def test_alaska_question_is_answered_with_a_valid_citation(seed_bot):
    answer = seed_bot.ask("What did India say about the Alaska summit?")
    assert not answer.refused
    assert "welcomed" in answer.answer
    assert len(answer.answer) <= 400 + 10
    _valid(answer)
    assert any("formally welcomed the U.S.-Russia summit" in c.text for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Australia?", "Who won the 2022 football World Cup?", "How many delegates came with Khasikov?"],
)
def test_out_of_scope_questions_are_refused(seed_bot, question):
    answer = seed_bot.ask(question)
    assert answer.refused
    assert answer.citations == [] and "[" not in answer.answer
    assert answer.answer.startswith("The article doesn't say")


def test_words_that_ask_nothing_of_the_article_are_refused_and_its_own_words_are_answered(seed_bot):
    """Gibberish, a lone mark, an emoji or a stop word is no question (the models, fitted on questions, gave
    "xyzzy" 0.53); a bare name from the article or a request for the story is one."""
    for noise in ["xyzzy", "asdf qwer zxcv", "?", "🙂🙂🙂", "the"]:
        answer = seed_bot.ask(noise)
        assert answer.refused and answer.citations == [] and answer.related == [], noise
    for terse in ["Putin?", "Alaska summit", "Summarize the article"]:
        assert not seed_bot.ask(terse).refused, terse


def test_followup_uses_the_conversation(seed_bot):
    answer = seed_bot.ask("Where did they meet?", history=["Who did Rijiju meet?"])
    assert not answer.refused and "New Delhi" in answer.answer
    _valid(answer)


def test_dev_set(seed_bot):
    """Every answerable dev question passes and cites its gold passage; every out-of-scope one is refused."""
    failures = []
    for item in dev_set():
        answer = seed_bot.ask(item["question"], item.get("history"))
        _valid(answer)
        if item["kind"] == "out_of_scope":
            ok = answer.refused
        else:
            ok = not answer.refused and passes(answer.answer, item["expect"])
            ok = ok and any(item["gold"] in c.text for c in answer.citations)
        if not ok:
            failures.append((item["id"], answer.answer))
    assert failures == []


def test_scoping_to_an_unknown_article(seed_bot):
    with pytest.raises(UnknownArticleError):
        seed_bot.ask("What happened?", article="nope")
    assert not seed_bot.ask("What did India say about the Alaska summit?", article=SEED_ID).refused


def test_bad_questions(seed_bot, settings):
    with pytest.raises(InputError, match="empty"):
        seed_bot.ask("   ")
    with pytest.raises(InputError, match="limit"):
        seed_bot.ask("why " * 1000)
    with pytest.raises(EmptyIndexError, match="bot ingest"):
        NewsBot(settings).ask("Anything?")


@pytest.mark.parametrize(
    "question, history, article, message",
    [
        (123, [], None, "the question must be text (a string), not int"),
        ("Who?\ud800", [], None, "the question holds an invalid character ('\\ud800', a lone UTF-16 surrogate)"),
        ("Who?", ["x" * 1200], None, "history item 1 is 1200 characters long; the limit is 1000"),
        ("Who?", ["ok", 7], None, "history item 2 must be text"),
        ("Who?", "not a list", None, "history must be a list"),
        ("Who?", [], ["id"], "the article id must be text"),
        ("Who?", [], "a\udfff", "the article id holds an invalid character"),
    ],
)
def test_bad_questions_are_named_before_anything_is_read(settings, question, history, article, message):
    bot = NewsBot(settings)
    with pytest.raises(InputError) as caught:
        bot.ask(question, history, article)
    assert message in str(caught.value)
    assert bot.store._client is None  # rejected before the store was opened



@pytest.mark.parametrize("question", ["\x00", "\x00\x00\x00", " \x00\t\x00 ", "\x00\x1b\x7f", "\u200b\ufeff"])
def test_a_question_of_only_control_characters_is_empty(settings, question):
    bot = NewsBot(settings)
    with pytest.raises(InputError, match="the question is empty: ask something about the article"):
        bot.check(question)
    assert bot.store._client is None  # refused as an empty question is: before the store is opened


def test_a_turn_of_only_control_characters_is_skipped_like_a_blank_one(seed_bot):
    assert "Rijiju" in seed_bot.ask("Whom did he meet in India?", ["\x00\x00", "Who is Batu Khasikov?", " \x00 "]).answer
