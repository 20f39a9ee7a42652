import pytest
from gradio_client import Client

from tests.conftest import SEED_TEXT

pytestmark = pytest.mark.slow


def test_named_ask_endpoint_returns_the_answer_object(live):
    client = Client(live.url + "/", verbose=False)
    result = client.predict("What did India say about the Alaska summit?", api_name="/ask")
    assert isinstance(result, dict) and set(result) == {"id", "question", "answer", "refused", "citations", "related", "guard", "fallback"}
    assert isinstance(result["id"], int)  # its row in the question log
    assert "welcomed" in result["answer"] and not result["refused"]
    assert all(SEED_TEXT[c["start"] : c["end"]] == c["text"] for c in result["citations"])
    follow = client.predict("Whom did he meet in India?", ["Who is Batu Khasikov?"], None, api_name="/ask")
    assert "Rijiju" in follow["answer"]
