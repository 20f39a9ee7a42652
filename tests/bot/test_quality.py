"""Retrieval, the fitted models and `bot eval`, with the real model and a real Chroma."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.chain import NewsBot
from bot.cli import app
from bot.extractive.answerability import QUESTION_FEATURES
from bot.extractive.answerer import load_models
from bot.extractive.features import RANK_FEATURES, SENTENCE_FEATURES, TOKEN_FEATURES, token_features
from bot.extractive.question import parse_question
from bot.extractive.quote import excerpt
from bot.settings import Settings
from index.errors import InputError
from index.loader import Article
from tests.conftest import DEV_PATH, OTHER_ARTICLE, SEED_ID, SEED_TEXT

pytestmark = pytest.mark.slow

NEWS = Path(__file__).resolve().parents[2] / "benchmarks" / "news"


def test_shipped_models_match_features_and_settings():
    models = load_models()
    assert models.meta["fitted"] is True
    assert len(models.prefilter.w) == len(SENTENCE_FEATURES) and len(models.ranker.w) == len(RANK_FEATURES)
    assert len(models.answerability.w) == len(QUESTION_FEATURES)
    # the answerability model keeps only the features it selected; the rest weigh nothing
    kept = models.meta["answerability_features"]
    assert kept and {QUESTION_FEATURES.names[i] for i in np.flatnonzero(models.answerability.w)} == set(kept)
    assert Settings().refusal_threshold is None  # unset: the operating point shipped with the weights
    assert models.refusal_threshold == models.meta["operating_point"]["refusal_threshold"] == 0.46


def test_building_the_bot_loads_nothing_heavy(tmp_path):
    """In a fresh process: constructing the bot loads no model, opens no store, imports no torch."""
    import subprocess
    import sys

    code = (
        "import sys; from bot.chain import NewsBot; from bot.settings import Settings; "
        f"b = NewsBot(Settings(data_dir={str(tmp_path)!r})); "
        "print(b.embeddings.loaded, b.store._client is None, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "True", "False"], out.stderr


def test_query_tokens_come_with_the_same_vector(seed_bot):
    """One forward pass gives the query's vector (equal to the one the batch path gives) and its word pieces."""
    embeddings = seed_bot.embeddings
    question = "  What did India say about the Alaska summit?  "
    vector, pieces = embeddings.embed_query_tokens(question)
    reference = np.asarray(embeddings.embed_documents([question])[0])
    assert np.abs(np.asarray(vector) - reference).max() < 1e-5
    assert pieces.pieces[:3] == ["what", "did", "india"] and "[CLS]" not in pieces.pieces
    assert pieces.vectors.shape == (len(pieces.pieces), 384)
    assert np.allclose(np.linalg.norm(pieces.vectors, axis=1), 1.0, atol=1e-4)
    # a passage is read once; each sentence keeps only its own pieces
    [[first, inside]] = embeddings.token_vectors(["Modi met Putin. Then he flew home. It rained."], [[(0, 15), (16, 34)]])
    assert first.pieces == ["mod", "##i", "met", "putin", "."] and inside.pieces == ["then", "he", "flew", "home", "."]
    # a sentence beyond the model's 256-piece window has no pieces (and no error)
    long = "word " * 400 + "Last one."
    [[beyond]] = embeddings.token_vectors([long], [[(len(long) - 9, len(long))]])
    assert beyond.pieces == [] and beyond.vectors.shape == (0, 384)


def test_token_matching_prefers_the_sentence_that_says_it(seed_bot):
    """Late interaction: the reported-speech sentence matches "India … welcomed … summit" best,
    only the candidates get features, and only their passages are compared."""
    index = seed_bot.evidence.get(SEED_ID)
    vecs, start, end = index.tokens()
    assert end[-1] == len(vecs) and (end > start).all() and vecs.shape[1] == 384
    q = parse_question("How did India respond to the Alaska summit?",
                       *seed_bot.embeddings.embed_query_tokens("How did India respond to the Alaska summit?"))
    welcomed = next(i for i, t in enumerate(index.sentences.texts) if "formally welcomed" in t)
    unrelated = next(i for i, t in enumerate(index.sentences.texts) if "Kalmykia" in t and i != welcomed)
    candidates = np.asarray([welcomed, unrelated])
    T, match = token_features(index, q, candidates)
    col = TOKEN_FEATURES.column("tok_match")
    assert T[welcomed, col] > T[unrelated, col] > 0
    others = np.setdiff1d(np.arange(index.n), candidates)
    assert not T[others].any()
    far = [i for i in others if index.layout.sent_chunk[i] not in {index.layout.sent_chunk[welcomed], index.layout.sent_chunk[unrelated]}]
    assert far and (match[:, far] == -1).all()


@pytest.fixture
def two_articles(seed_bot):
    seed_bot.ingest(Article("tram-line", "City council approves new tram line", OTHER_ARTICLE))
    return seed_bot


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_retrieval_modes_across_and_within_articles(two_articles, mode):
    bot = NewsBot(two_articles.settings.model_copy(update={"retrieval": mode}))
    across = bot.retriever().invoke("How much will the tram line cost?")
    assert across[0].metadata["article_id"] == "tram-line"
    scoped = bot.retriever(SEED_ID).invoke("How much will the tram line cost?")
    assert scoped and {d.metadata["article_id"] for d in scoped} == {SEED_ID}
    for d in scoped:
        assert SEED_TEXT[d.metadata["start"] : d.metadata["end"]] == d.page_content


def test_unscoped_answers_cite_the_right_article_and_bm25_follows_removal(two_articles):
    bot = two_articles
    alaska = bot.ask("What did India say about the Alaska summit?")
    assert {c.article_id for c in alaska.citations} == {SEED_ID} and "welcomed" in alaska.answer
    tram = bot.ask("How much will the tram line cost?")
    assert "240 million euros" in tram.answer and {c.article_id for c in tram.citations} == {"tram-line"}
    scoped = bot.ask("What did India say about the Alaska summit?", article="tram-line")
    assert all(c.article_id == "tram-line" for c in scoped.citations)
    bot.remove("tram-line")
    assert all(d.metadata["article_id"] == SEED_ID for d in bot.retriever().invoke("tram line council vote"))


LONG_SENTENCE = (
    "The council met on Tuesday evening in the old town hall, where members spent several hours on the annual budget, "
    "the state of the municipal swimming pools, the calendar of summer festivals, a proposal to rename two streets in "
    "the northern district, complaints about noise from the port, the hiring of more librarians and a dispute over "
    "parking fees, and finally agreed that the new harbour bridge will cost 95 million euros and open in 2029."
)


def test_a_long_sentence_is_quoted_where_it_answers(seed_bot):
    """A sentence longer than the answer's 400 characters is quoted in part: the words around the question's terms,
    marked with "…", and the citation highlights exactly the quoted part."""
    assert len(LONG_SENTENCE) > 400
    text = "Council news\n\n" + LONG_SENTENCE + "\n\nThe mayor did not attend the meeting."
    seed_bot.ingest(Article("council", "Council news", text))
    answer = seed_bot.ask("How much will the new harbour bridge cost?", article="council")
    assert not answer.refused and len(answer.answer) <= 400
    assert answer.answer.startswith("…") and "95 million euros" in answer.answer
    [citation] = answer.citations
    [(start, end)] = citation.highlights
    assert "…" + text[start:end] in answer.answer and text[start:end].endswith("open in 2029.")
    # short enough: all of it; too long: a run of whole words holding the most wanted terms, centred on them
    assert excerpt("A short one.", {"short"}, 50) == (0, 12)
    a, b = excerpt(LONG_SENTENCE, {"bridge", "cost"}, 60)
    assert "bridge will cost" in LONG_SENTENCE[a:b] and b - a + 2 <= 60
    assert LONG_SENTENCE[a - 1] == " " and (b == len(LONG_SENTENCE) or LONG_SENTENCE[b] == " ")


def test_changed_article_is_seen_at_once(seed_bot):
    changed = SEED_TEXT.replace("formally welcomed", "formally criticised")
    seed_bot.ingest(Article(SEED_ID, "Changed", changed))
    answer = seed_bot.ask("What did India say about the Alaska summit?")
    assert "criticised" in answer.answer and all(changed[c.start : c.end] == c.text for c in answer.citations)


def test_eval_on_dev_meets_the_bar():
    """The bar of the issue, through the user-facing command: every answerable dev question right and
    citing its gold passage, every out-of-scope one refused, every citation exact."""
    result = CliRunner().invoke(app, ["eval", str(DEV_PATH), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["answered_correctly"] == 1.0
    assert figures["cited_gold"] == 1.0
    assert figures["refused_unanswerable"] == 1.0
    assert figures["wrongly_refused"] == 0.0
    assert figures["citation_validity"] == 1.0


def _tiny_squad(tmp_path):
    paragraphs = SEED_TEXT.split("\n\n")
    first = paragraphs[0]
    qas = [
        {"id": "q1", "question": "Who held talks with Batu Khasikov?", "is_impossible": False,
         "answers": [{"text": "Kiren Rijiju", "answer_start": first.index("Kiren Rijiju")}]},
        {"id": "q2", "question": "What is the population of Kalmykia?", "is_impossible": True, "answers": []},
    ]
    data = {"version": "v2.0", "data": [{"title": "Seed", "paragraphs": [{"context": first, "qas": qas}] +
                                         [{"context": p, "qas": []} for p in paragraphs[1:]]}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_eval_reads_squad_and_compares(tmp_path):
    path = _tiny_squad(tmp_path)
    result = CliRunner().invoke(app, ["eval", str(path), "--articles", "1", "--compare", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == ["hybrid", "dense only", "BM25 only"]
    assert rows[0]["answerable"] == 1 and rows[0]["unanswerable"] == 1
    assert rows[0]["answered_correctly"] == 1.0 and rows[0]["cited_gold"] == 1.0
    table = CliRunner().invoke(app, ["eval", str(path)])
    assert "| answered correctly |" in table.output and "| p95 latency (ms) |" in table.output


def test_eval_bad_input(tmp_path):
    from index.errors import InputError

    path = _tiny_squad(tmp_path)
    for args, message in [
        ([str(tmp_path / "missing.json")], "no such file"),
        ([str(path), "--articles", "2-3"], "articles 1-1"),
        ([str(path), "--articles", "one"], "ranges like 1-6"),
    ]:
        result = CliRunner().invoke(app, ["eval", *args])
        assert isinstance(result.exception, InputError) and message in str(result.exception)
    bad = {
        "not-json.jsonl": ('{"question": "Q?"}\nnot json\n', ":2: not valid JSON"),
        "list.jsonl": ("[1]\n", 'expected an object with a "question"'),
        "no-question.jsonl": ('{"id": "a"}\n', '"question" is missing'),
        "history.jsonl": ('{"question": "Q?", "history": "Who?"}\n', '"history" and "expect" must be lists'),
        "latin1.jsonl": ('{"question": "Qué?"}\n'.encode("latin-1"), "not valid UTF-8"),
    }
    for name, (content, message) in bad.items():
        file = tmp_path / name
        file.write_bytes(content if isinstance(content, bytes) else content.encode())
        result = CliRunner().invoke(app, ["eval", str(file)])
        assert isinstance(result.exception, InputError) and message in str(result.exception)


def test_answerability_weights_keep_their_evidence_sign():
    """Missing or contradicting evidence never raises the probability that the article answers, and a closer
    match never lowers it (SQuAD 2.0 alone teaches the opposite for missing vocabulary)."""
    models = load_models()
    assert models.meta["answerability_fit"]["sign_constrained"] is True
    for feature, weight in zip(QUESTION_FEATURES, models.answerability.w):
        assert feature.sign == 0 or weight * feature.sign >= 0, feature.name


def test_news_check_part_transfers():
    """The news corpus's 12 check articles (nothing fitted or chosen on them), through `bot eval --part check`:
    most answerable questions answered with their gold passage cited, and a third of the out-of-scope ones refused."""
    result = CliRunner().invoke(app, ["eval", str(NEWS), "--part", "check", "--json"])
    assert result.exit_code == 0, result.output
    f = json.loads(result.output)
    assert (f["answerable"], f["unanswerable"]) == (177, 72) and f["citation_validity"] == 1.0
    # measured (docs/quality.md): 0.774 answered correctly, 0.791 cited, 0.141 wrongly refused, 0.347 refused
    # (before the news refit: 0.661, 0.684, 0.271, 0.486); the bars leave a few questions of slack
    assert f["answered_correctly"] >= 0.74 and f["cited_gold"] >= 0.75
    assert f["wrongly_refused"] <= 0.17 and f["refused_unanswerable"] >= 0.30
    kinds = f["by_kind"]
    assert set(kinds) == {"fact", "paraphrase", "yesno", "followup", "off_topic", "near_miss"}
    assert kinds["fact"]["answered_correctly"] >= 0.8


def test_a_headline_is_never_quoted(seed_bot):
    """An article whose text starts with its headline: the headline is found as the title, and answers quote the
    story's own sentences (the headline "Green Party Wins Surprise Victory …" out-ranked the answer before)."""
    result = seed_bot.ingest_file(NEWS / "election.txt")
    index = seed_bot.evidence.get(result.article_id)
    assert index.layout.headline[0] and not index.layout.headline[1:].any() and index.sentences.texts[0] == index.title
    answer = seed_bot.ask("Who leads the Green Party?", article=result.article_id)
    assert not answer.refused and "Lindqvist" in answer.answer and index.title not in answer.answer
    assert all(start >= len(index.title) for c in answer.citations for start, _ in c.highlights)


def test_eval_of_a_news_folder_by_part_and_kind(tmp_path):
    """`bot eval DIR --part check` asks each check article's questions and prints a table per kind."""
    for name in ("tram", "other"):
        (tmp_path / f"{name}.txt").write_text(OTHER_ARTICLE, encoding="utf-8")
        rows = [
            {"id": f"{name}1", "kind": "fact", "question": "How much will the tram line cost?", "expect": [["240 million"]]},
            {"id": f"{name}2", "kind": "near_miss", "question": "How much did the tram line cost in 1990?"},
            {"id": f"{name}3", "kind": "off_topic", "question": "What is the weather like at the harbour?"},
        ]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (tmp_path / "split.json").write_text(json.dumps({"check": ["tram"]}), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--part", "check"])
    assert result.exit_code == 0, result.output
    assert "| questions (answerable / unanswerable) | 1 / 2 |" in result.output
    assert "| fact | 1 | 1.000 |" in result.output and "| near_miss | 1 | – |" in result.output
    as_json = json.loads(CliRunner().invoke(app, ["eval", str(tmp_path), "--part", "fit", "--json"]).output)
    assert as_json["by_kind"]["fact"]["questions"] == 1 and as_json["by_kind"]["near_miss"]["answered_correctly"] is None
    bad = CliRunner().invoke(app, ["eval", str(tmp_path), "--part", "half"])
    assert isinstance(bad.exception, InputError) and "fit or check" in str(bad.exception)


def test_a_hard_wrapped_file_is_answered_with_whole_sentences(seed_bot, tmp_path):
    """A .txt wrapped at 72 columns: the answer is the whole sentence, not the part up to a wrap."""
    body = (
        "The city council voted 31 to 12 on Tuesday to approve a new tram line linking the harbour to the "
        "university. Councillor Dev Prasad, who voted against the plan, said fares could rise by about 6% in the "
        "first year of service. Construction is expected to start in March, the mayor said."
    )
    path = tmp_path / "tram.txt"
    path.write_text("City council approves new tram line\n\n" + textwrap.fill(body, 72) + "\n", encoding="utf-8")
    assert "year of\nservice." in path.read_text(encoding="utf-8")  # the wrap falls mid-sentence
    seed_bot.ingest_file(path)
    answer = seed_bot.ask("How much could fares rise?", article="tram")
    assert not answer.refused
    assert "about 6% in the first year of service." in answer.answer and "\n" not in answer.answer
    stored = seed_bot.store.article_text("tram")
    assert all(stored[c.start : c.end] == c.text for c in answer.citations)
