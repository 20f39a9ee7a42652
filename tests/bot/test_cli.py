"""The CLI contract, through the real ``bot`` console script and in-process with typer's runner."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.citations import citation_problems
from bot.cli import app
from bot.settings import BUNDLED_ARTICLES
from tests.conftest import SEED_ID, SEED_TEXT

BOT = str(Path(sys.executable).with_name("bot"))
ROOT = Path(__file__).resolve().parents[2]
ALASKA = "What did India say about the Alaska summit?"
CITATION_KEYS = {"n", "article_id", "title", "text", "start", "end", "score"}


def run(*args, data_dir, stdin=None, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [BOT, "--data-dir", str(data_dir), *args], capture_output=True, text=True, input=stdin, env=full_env, timeout=300
    )


def check_answer_json(obj):
    assert {"question", "answer", "refused", "citations"} <= obj.keys()
    assert not citation_problems(obj, SEED_TEXT)
    for c in obj["citations"]:
        assert CITATION_KEYS <= c.keys()
        assert c["article_id"] == SEED_ID and isinstance(c["score"], float)


@pytest.mark.slow
def test_ingest_ask_articles_through_the_console_script(tmp_path):
    data = tmp_path / "data"
    seed = BUNDLED_ARTICLES / f"{SEED_ID}.txt"
    first = run("ingest", str(seed), data_dir=data)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"added {SEED_ID}:")
    again = run("ingest", str(seed), data_dir=data)
    assert again.stdout.startswith(f"unchanged {SEED_ID}:")

    asked = run("ask", ALASKA, "--json", data_dir=data)
    assert asked.returncode == 0, asked.stderr
    obj = json.loads(asked.stdout)
    check_answer_json(obj)
    assert not obj["refused"] and "welcomed" in obj["answer"]
    assert obj["question"] == ALASKA

    listed = json.loads(run("articles", "--json", data_dir=data).stdout)
    assert [(a["id"], a["title"]) for a in listed] == [(SEED_ID, "Rijiju meets Kalmykia's leader as India welcomes the Alaska summit")]
    assert listed[0]["chunks"] >= 1


#: what answering never needs: the training stack (the embedder runs in onnxruntime), the web stack, the question
#: log's SQL (the server's), ingest's text splitter (LangChain imports the package's base class itself)
NOT_FOR_ASKING = ("torch", "transformers", "sentence_transformers", "gradio", "fastapi", "uvicorn", "sqlalchemy", "alembic",
                  "langchain_text_splitters.character")


@pytest.mark.slow
def test_a_cold_ask_imports_only_what_answering_needs(seed_dir, tmp_path):
    """The console script's `bot ask`, with the default settings, answers without importing any of them (as
    ``python -X importtime`` lists every module a process imports)."""
    data = tmp_path / "data"
    shutil.copytree(seed_dir, data)
    out = subprocess.run([sys.executable, "-X", "importtime", BOT, "--data-dir", str(data), "ask", ALASKA],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0 and "welcomed the U.S.-Russia summit" in out.stdout, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert len(imported) > 500 and "onnxruntime" in imported and "chromadb" in imported
    assert not imported & set(NOT_FOR_ASKING)


def _seed_parts(tmp_path: Path) -> Path:
    """A folder of three articles: the seed article's first three long paragraphs, ``part-0.txt`` …"""
    folder = tmp_path / "articles"
    folder.mkdir()
    for i, paragraph in enumerate([p for p in SEED_TEXT.split("\n\n") if len(p) > 200][:3]):
        (folder / f"part-{i}.txt").write_text(paragraph, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_ingest_reports_its_rate_and_takes_workers(tmp_path):
    folder = _seed_parts(tmp_path)
    done = run("ingest", str(folder), "--workers", "2", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("added part-") == 3
    rate = re.search(r"^ingested 3 articles in \d+\.\d s \(\d+\.\d articles/s, (\d+\.\d) texts/s\)$", done.stderr, re.M)
    assert rate and float(rate.group(1)) > 0
    again = run("ingest", str(folder), data_dir=tmp_path / "data")
    assert re.search(r"^ingested 3 articles in .* 0\.0 texts/s\)$", again.stderr, re.M)  # unchanged: nothing encoded
    refused = run("ingest", str(folder), "--workers", "0", data_dir=tmp_path / "data")
    assert refused.returncode == 2 and "--workers" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.slow
def test_a_cuda_device_without_a_gpu_is_a_clear_error(tmp_path):
    import torch

    data = tmp_path / "data"
    done = run("ingest", str(BUNDLED_ARTICLES / f"{SEED_ID}.txt"), data_dir=data, env={"BOT_DEVICE": "cuda"})
    if torch.cuda.is_available():
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: BOT_DEVICE=cuda, but torch ") and "BOT_DEVICE=cpu" in done.stderr
    assert json.loads(run("articles", "--json", data_dir=data).stdout) == []


@pytest.mark.slow
def test_data_dir_defaults_to_env(tmp_path, seed_dir):
    result = run("articles", "--json", data_dir=seed_dir)
    via_env = subprocess.run([BOT, "articles", "--json"], capture_output=True, text=True, env={**os.environ, "BOT_DATA_DIR": str(seed_dir)})
    assert json.loads(via_env.stdout) == json.loads(result.stdout) != []


@pytest.mark.slow
def test_readable_answer_and_history(seed_bot):
    runner = CliRunner()
    data = str(seed_bot.settings.data_dir)
    plain = runner.invoke(app, ["--data-dir", data, "ask", ALASKA])
    assert plain.exit_code == 0, plain.output
    assert "Sources:" in plain.output and "[1]" in plain.output and "formally welcomed" in plain.output
    follow = runner.invoke(app, ["--data-dir", data, "ask", "Whom did he meet in India?", "--history", "Who is Batu Khasikov?", "--json"])
    assert "Rijiju" in json.loads(follow.output)["answer"]


@pytest.mark.slow
def test_batch_keeps_order_and_ids(seed_bot, tmp_path):
    batch = tmp_path / "q.jsonl"
    lines = [
        {"id": "a", "question": ALASKA},
        {"id": 2, "question": "Whom was he thanking?", "history": ["What did Modi post on X?"]},
        {"id": "c", "question": "What is the weather like in New Delhi today?"},
    ]
    batch.write_text("\ufeff" + "\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")  # a BOM, as Windows tools write
    result = CliRunner().invoke(app, ["--data-dir", str(seed_bot.settings.data_dir), "ask", "--batch", str(batch), "--json"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c"]
    for o in out:
        check_answer_json(o)
    assert "Putin" in out[1]["answer"] and out[2]["refused"]


@pytest.mark.slow
def test_batch_reports_bad_lines_and_exits_nonzero(seed_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    deep = '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    batch.write_text('{"id": 1, "question": ""}\nnot json\n{"id": 3, "question": "Whom did Putin meet in Alaska?"}\n' + deep)
    result = run("ask", "--batch", str(batch), "--json", data_dir=seed_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == [1, None, 3, None]
    assert "empty" in out[0]["error"] and "not valid JSON" in out[1]["error"] and "Trump" in out[2]["answer"]
    assert out[3]["error"] == "line 4: not valid JSON: nested too deep to read"
    assert "1" not in result.stderr.split("error:")[0] and result.stderr.startswith("error: 3 of")


def _one_clear_line(result, pattern):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.slow
def test_bad_inputs_get_one_clear_line(tmp_path):
    data = tmp_path / "data"
    (tmp_path / "latin.txt").write_bytes("café au lait".encode("latin-1"))
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)))
    _one_clear_line(run("ingest", str(tmp_path / "missing.txt"), data_dir=data), "no such file")
    _one_clear_line(run("ingest", str(tmp_path / "latin.txt"), data_dir=data), "not valid UTF-8")
    _one_clear_line(run("ingest", str(tmp_path / "bin.txt"), data_dir=data), "binary")
    _one_clear_line(run("ask", "What happened?", data_dir=data), r"no articles yet: run `bot ingest")
    _one_clear_line(run("ask", "  ", data_dir=data), "empty")
    _one_clear_line(run("ask", "x" * 5000, data_dir=data), "limit is 1000")
    _one_clear_line(run("ask", "--batch", str(tmp_path / "none.jsonl"), "--json", data_dir=data), "no articles yet|no such file")
    _one_clear_line(run("articles", data_dir=data, env={"BOT_K": "lots"}), "BOT_K")
    for token in ("tökén", "two words"):  # a header could never carry it: refused before anything starts
        _one_clear_line(run("serve", "--port", "1", data_dir=data, env={"BOT_API_TOKEN": token}),
                        "bad setting BOT_API_TOKEN: the token must be visible ASCII")


@pytest.mark.slow
def test_bad_settings_and_global_options_get_one_clear_line(tmp_path):
    data = tmp_path / "data"
    for name in ("BOT_STORAGE_RESERVE_MB", "BOT_EVIDENCE_STORE_MB"):
        _one_clear_line(run("ask", "x", data_dir=data, env={name: "inf"}), f"^error: bad setting {name}: Input should be a finite number$")
    _one_clear_line(run("articles", data_dir=data, env={"BOT_CHUNK_OVERLAP": "700"}),
                    r"^error: bad settings: BOT_CHUNK_OVERLAP \(700\) must be smaller than BOT_CHUNK_SIZE \(600\)$")
    bare = [BOT, "--data-dir", "", "articles"]
    _one_clear_line(subprocess.run(bare, capture_output=True, text=True, cwd=tmp_path, timeout=300), "^error: --data-dir is empty")
    assert not (tmp_path / "chroma").exists()
    port = run("--chroma-host", "127.0.0.1", "--chroma-port", "0", "articles", data_dir=data)
    assert port.returncode == 2 and "--chroma-port" in port.stderr and "Traceback" not in port.stderr


@pytest.mark.slow
def test_an_empty_bot_data_dir_means_the_default(tmp_path):
    """``BOT_DATA_DIR=`` is unset (the default under $XDG_DATA_HOME), never the current folder."""
    env = {**os.environ, "BOT_DATA_DIR": "", "XDG_DATA_HOME": str(tmp_path / "xdg")}
    listed = subprocess.run([BOT, "articles", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stderr
    assert not (tmp_path / "chroma").exists() and (tmp_path / "xdg" / "newsbot" / "chroma").is_dir()


@pytest.mark.slow
def test_eval_of_a_file_without_questions_is_an_error(tmp_path):
    """No table of zeros that reads like a measurement: an empty set is one clear line and a failure."""
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "blank.jsonl").write_text("\n  \n", encoding="utf-8")
    (tmp_path / "squad.json").write_text('{"data": []}', encoding="utf-8")
    for name in ("empty.txt", "blank.jsonl", "squad.json"):
        path = tmp_path / name
        _one_clear_line(run("eval", str(path), data_dir=tmp_path / "data"), f"^error: no questions in {re.escape(str(path))}")


@pytest.mark.slow
def test_serve_on_a_busy_port_or_an_unknown_host_announces_nothing(tmp_path):
    import socket

    from tests.conftest import free_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        port = busy.getsockname()[1]
        taken = run("serve", "--port", str(port), data_dir=tmp_path / "data")
    _one_clear_line(taken, f"^error: cannot listen on 127.0.0.1:{port}: Address already in use; pick another --port$")
    assert taken.returncode == 1 and "serving" not in taken.stdout
    unknown = run("serve", "--host", "no-such-host.invalid", "--port", str(free_port()), data_dir=tmp_path / "data")
    _one_clear_line(unknown, "^error: cannot listen on no-such-host.invalid:")
    assert unknown.returncode == 1 and "serving" not in unknown.stdout
    _one_clear_line(run("serve", "--host", "", data_dir=tmp_path / "data"), "^error: --host is empty")
    assert not (tmp_path / "data").exists()  # refused before the index was opened


@pytest.mark.slow
def test_bad_input_leaves_the_index_untouched(seed_bot, tmp_path):
    seed_dir = seed_bot.settings.data_dir
    good = tmp_path / "good.txt"
    good.write_text("A fine article about a council vote. The council voted yes.", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    before = run("articles", "--json", data_dir=seed_dir).stdout
    _one_clear_line(run("ingest", str(good), str(bad), data_dir=seed_dir), "bad.txt")
    assert run("articles", "--json", data_dir=seed_dir).stdout == before


@pytest.mark.slow
def test_unreachable_llm_endpoint(seed_dir):
    env = {"BOT_ANSWERER": "openai", "BOT_LLM_BASE_URL": "http://127.0.0.1:9/v1", "BOT_LLM_TIMEOUT": "3"}
    _one_clear_line(run("ask", ALASKA, data_dir=seed_dir, env=env), "cannot reach the LLM endpoint")


@pytest.mark.slow
def test_jsonl_ingest_scoped_ask_and_remove(seed_bot, tmp_path):
    data = seed_bot.settings.data_dir
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "tram", "title": "Tram", "text": "The council approved a tram line. It will cost 240 million euros.",
                    "url": "https://news.example/tram", "published": "2026-11-20"}) + "\n",
        encoding="utf-8",
    )
    assert run("ingest", str(feed), data_dir=data).stdout.startswith("added tram:")
    listed = {a["id"]: a for a in json.loads(run("articles", "--json", data_dir=data).stdout)}
    assert (listed["tram"]["url"], listed["tram"]["published"], listed["tram"]["chunks"]) == ("https://news.example/tram", "2026-11-20", 1)
    scoped = json.loads(run("ask", ALASKA, "--article", "tram", "--json", data_dir=data).stdout)
    assert all(c["article_id"] == "tram" for c in scoped["citations"])
    assert run("remove", "tram", data_dir=data).stdout.strip() == "removed tram"
    _one_clear_line(run("remove", "tram", data_dir=data), "no article with id 'tram'")
    _one_clear_line(run("ask", ALASKA, "--article", "tram", data_dir=data), "no article with id 'tram'")


def _read_only(command: list[str], data_dir: Path) -> list[str]:
    """``command`` with ``data_dir`` read-only: a read-only bind mount when root (root ignores file modes)."""
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(data_dir)], check=True)
        return command
    shell = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", shell, "sh", str(data_dir), *command]


@pytest.mark.slow
def test_read_only_data_dir_is_one_clear_line(seed_bot):
    data = seed_bot.settings.data_dir
    for args in (["articles"], ["ask", ALASKA], ["ingest", str(BUNDLED_ARTICLES)], ["repair"]):
        result = subprocess.run(_read_only([BOT, "--data-dir", str(data), *args], data), capture_output=True, text=True, timeout=300)
        _one_clear_line(result, r"(?i)read-only.*writable --data-dir")


@pytest.mark.slow
def test_repair_ids_titles_and_batch_messages(seed_dir, tmp_path):
    data = tmp_path / "data"
    story = tmp_path / "story.txt"
    story.write_text("Red \x1b[31malert\x1b[0m\n\n" + "The council met on Monday and voted. " * 5, encoding="utf-8")
    _one_clear_line(run("ingest", str(story), "--id", "zz\n", data_dir=data), r"invalid article id 'zz\\n'")
    _one_clear_line(run("ingest", str(story), "--id", "", data_dir=data), "--id is empty")
    added = run("ingest", str(story), data_dir=data)
    assert added.returncode == 0 and "\x1b" not in added.stdout and "Red [31malert [0m" in added.stdout
    assert "\x1b" not in run("articles", data_dir=data).stdout
    repaired = run("repair", data_dir=data)
    assert repaired.returncode == 0 and repaired.stdout.startswith("repaired: 0 interrupted write(s) cleaned up, 0 leftover")

    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": 1, "question": 123}\n{"id": 2}\n{"id": 3, "question": "Who?", "history": ["' + "x" * 1200 + '"]}\n')
    out = [json.loads(line) for line in run("ask", "--batch", str(batch), "--json", data_dir=seed_dir).stdout.splitlines()]
    assert "must be text (a string), not int" in out[0]["error"]
    assert 'no "question"' in out[1]["error"]
    assert "history item 1 is 1200 characters long" in out[2]["error"]


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["pages", "header"])
def test_a_damaged_store_says_what_to_do_instead_of_repair(seed_dir, tmp_path, damage):
    """A damaged chroma.sqlite3 is beyond `bot repair` (which opens the store as every command does): every command,
    repair itself included, says to restore a backup or ingest again, never to run `bot repair`."""
    data = tmp_path / "data"
    shutil.copytree(seed_dir, data)
    db = data / "chroma" / "chroma.sqlite3"
    raw = bytearray(db.read_bytes())
    if damage == "header":
        raw[:100] = b"x" * 100
    else:
        for at in range(4096, len(raw), 4096):
            raw[at:at + 200] = b"\xff" * 200
    db.write_bytes(bytes(raw))
    for args in (["repair"], ["ask", ALASKA], ["articles"]):
        result = run(*args, data_dir=data)
        _one_clear_line(result, "its database is damaged .*`bot repair` cannot mend that: restore the data dir from a backup, "
                                "or move it aside and `bot ingest` the articles again")
        assert "run `bot repair`" not in result.stderr and "operations.md" in result.stderr


@pytest.mark.slow
def test_a_one_letter_database_password_hides_only_itself(tmp_path):
    from tests.conftest import free_port

    port = free_port()  # nothing listens there: connection refused, in the driver's words
    result = run("report", data_dir=tmp_path / "data", env={"BOT_DATABASE_URL": f"postgresql://u:p@127.0.0.1:{port}/x"})
    _one_clear_line(result, f"postgresql\\+psycopg://u:\\*\\*\\*@127.0.0.1:{port}/x .*port {port} failed")
    assert "u:p@" not in result.stderr and "***ort" not in result.stderr and "accepting TCP/IP" in result.stderr


@pytest.mark.slow
def test_ingest_with_id_for_two_sources_says_so(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text("The council met on Monday and voted. " * 5, encoding="utf-8")
    _one_clear_line(run("ingest", str(folder / "a.txt"), str(folder / "b.txt"), "--id", "one", data_dir=tmp_path / "data"),
                    r"^error: --id names one article: give one source \(a file or URL\), not 2$")
    _one_clear_line(run("ingest", str(folder), "--title", "T", data_dir=tmp_path / "data"),
                    "^error: --title names one article: give one file or URL, not one that holds 2$")


@pytest.mark.slow
def test_ctrl_c_during_ingest_says_what_was_kept_and_the_same_command_finishes(tmp_path):
    folder = _seed_parts(tmp_path)
    data = tmp_path / "data"
    command = [sys.executable, "-m", "tests.index.ingest_killer", "2", "--data-dir", str(data), "ingest", str(folder)]
    stopped = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT,
                             env={**os.environ, "INGEST_KILL_SIGNAL": "SIGINT"})  # Ctrl-C at the second write to Chroma
    assert stopped.returncode == 130 and "Traceback" not in stopped.stderr, stopped.stderr
    assert stopped.stderr.startswith("interrupted: the batches finished before it are stored; run the same command again")
    again = run("ingest", str(folder), data_dir=data)
    assert again.returncode == 0, again.stderr
    assert sorted(a["id"] for a in json.loads(run("articles", "--json", data_dir=data).stdout)) == ["part-0", "part-1", "part-2"]


@pytest.mark.unit
def test_a_wrong_answerer_is_one_line_naming_every_backend(tmp_path):
    from index.errors import BotError, InputError

    runner = CliRunner()
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "eval", str(tmp_path / "none.jsonl"), "--answerer", "gpt"])
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == "--answerer 'gpt': use extractive, local, openai or ollama"
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "articles"], env={"BOT_ANSWERER": "gpt"})
    assert isinstance(result.exception, BotError)
    assert str(result.exception) == "bad setting BOT_ANSWERER: Input should be 'extractive', 'local', 'openai' or 'ollama'"
    shown = " ".join(runner.invoke(app, ["eval", "--help"]).output.split())  # help text is wrapped to the terminal
    assert "--answerer <str> extractive, local, openai or ollama (default: BOT_ANSWERER)" in shown
