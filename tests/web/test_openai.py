"""The OpenAI-compatible route with the official openai client, streaming and not."""

import pytest

from tests.conftest import SEED_TEXT

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"


def _client(live):
    import openai  # here, not at the top: it costs every `pytest -m unit` a second to collect

    return openai.OpenAI(base_url=f"{live.url}/v1", api_key="unused", timeout=60, max_retries=0)


def test_models_lists_the_bot(live):
    assert [m.id for m in _client(live).models.list().data] == ["newsbot"]


def test_chat_completion_with_citations(live):
    reply = _client(live).chat.completions.create(model="newsbot", messages=[{"role": "user", "content": ALASKA}])
    content = reply.choices[0].message.content
    answer, notes = content.split("\n\n", 1)
    assert "welcomed" in answer and "[1]" in answer
    assert notes.startswith("[1] ")
    citations = reply.model_extra["citations"]
    assert citations and all(SEED_TEXT[c["start"] : c["end"]] == c["text"] for c in citations)


def test_history_comes_from_earlier_user_messages(live):
    reply = _client(live).chat.completions.create(
        model="newsbot",
        messages=[
            {"role": "system", "content": "ignored"},
            {"role": "user", "content": "What did Modi post on X?"},
            {"role": "assistant", "content": "He posted a thank-you."},
            {"role": "user", "content": "Whom was he thanking?"},
        ],
    )
    assert "Putin" in reply.choices[0].message.content.split("\n\n")[0]


def test_streaming(live):
    stream = _client(live).chat.completions.create(model="newsbot", messages=[{"role": "user", "content": ALASKA}], stream=True)
    pieces, last = [], None
    for chunk in stream:
        last = chunk
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    text = "".join(pieces)
    assert len(pieces) > 3 and "welcomed" in text
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"]


def test_refusal_and_bad_request(live):
    refused = _client(live).chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": "What is the weather like in New Delhi today?"}]
    )
    assert refused.choices[0].message.content.startswith("The article doesn't say") and refused.model_extra["citations"] == []
    from openai import UnprocessableEntityError

    with pytest.raises(UnprocessableEntityError, match="user"):
        _client(live).chat.completions.create(model="newsbot", messages=[{"role": "system", "content": "hi"}])


def test_the_openai_backend_streams_from_a_real_endpoint(seed_bot, tmp_path):
    """BOT_ANSWERER=openai against a real OpenAI-compatible server (another newsbot's /v1, over HTTP, streamed):
    LangChain's ChatOpenAI streams, every sentence is guarded, and the answer keeps the citation contract."""
    import shutil

    from bot.chain import NewsBot
    from bot.citations import citation_problems
    from bot.models import Answer
    from bot.settings import Settings
    from tests.conftest import LiveServer, free_port

    data = tmp_path / "endpoint"
    shutil.copytree(seed_bot.settings.data_dir, data)
    endpoint = NewsBot(Settings(data_dir=data, max_question_chars=20_000))  # the whole prompt is its "question"
    with LiveServer(endpoint, free_port()) as server:
        settings = seed_bot.settings.model_copy(update={"answerer": "openai", "llm_base_url": f"{server.url}/v1",
                                                        "llm_model": "newsbot", "llm_timeout": 60})
        pieces = list(NewsBot(settings).ask_stream(ALASKA))
    answer = pieces[-1]
    assert isinstance(answer, Answer) and answer.guard is not None and answer.guard["sentences"] >= 1
    assert citation_problems(answer.as_json(), SEED_TEXT) == []
    if answer.fallback is None:  # the model's own sentences were kept: they are what streamed
        assert answer.guard["kept"] >= 1 and "".join(pieces[:-1]).strip() == answer.answer
    assert not answer.refused and answer.citations


def test_a_streamed_llm_answer_arrives_once(seed_bot, tmp_path):
    """The guarded sentences stream, then the footnotes: the answer is not sent a second time."""
    import shutil

    import openai
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from bot.chain import NewsBot
    from tests.conftest import LiveServer, free_port

    data = tmp_path / "llm"
    shutil.copytree(seed_bot.settings.data_dir, data)
    written = "Modi expressed gratitude to President Putin for sharing his insights from the Alaska summit."
    bot = NewsBot(seed_bot.settings.model_copy(update={"data_dir": data, "reader": "off"}),  # kept by the guard alone
                  chat_model=GenericFakeChatModel(messages=iter([AIMessage(written)])))
    with LiveServer(bot, free_port()) as server:
        stream = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", timeout=60, max_retries=0).chat.completions.create(
            model="newsbot", messages=[{"role": "user", "content": ALASKA}], stream=True)
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    extra = chunks[-1].model_extra
    assert extra["guard"]["kept"] == 1 and extra["fallback"] is None
    answer, notes = text.split("\n\n[1] ", 1)  # the footnotes follow the answer, once
    assert answer.count("Modi expressed gratitude") == 1 and answer.startswith("Modi expressed gratitude")
    assert "\n\n[1] " not in notes and answer.strip().endswith("[1].")


def test_content_parts_are_read_as_text_and_a_part_that_is_not_text_is_refused(live):
    from openai import UnprocessableEntityError

    parts = [{"type": "text", "text": "What did India say"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
             {"type": "text", "text": "about the Alaska summit?"}]
    reply = _client(live).chat.completions.create(model="newsbot", messages=[{"role": "user", "content": parts}])
    assert "welcomed" in reply.choices[0].message.content
    for text in [{"nested": 1}, ["What did", " India say?"], 5]:
        with pytest.raises(UnprocessableEntityError, match="text part"):
            _client(live).chat.completions.create(model="newsbot", messages=[{"role": "user", "content": [{"type": "text", "text": text}]}])
