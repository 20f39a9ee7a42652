"""The editors' report: tallies, disliked answers, the grouping of refused questions, text and CSV.

The unit tests build :class:`QuestionRow` objects by hand and embed with a fake whose vectors
say which topic a question is about; the slow ones use the real MiniLM, and the last runs
``bot report`` over 200+ questions recorded through a real :class:`Logbook` on both databases.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from bot.logbook import QuestionRow
from bot.logbook.report import ALL_ARTICLES, CSV_COLUMNS, build_report, cluster, parse_day
from bot.logbook.report_text import render
from index.errors import InputError

DAY0 = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


def row(n: int = 1, *, day: int = 0, article: str | None = "tram", cited: str | None = None, question: str = "q?",
        answer: str = "a [1]", refused: bool = False, latency: float = 100.0, liked: bool | None = None,
        comment: str | None = None) -> QuestionRow:
    asked = DAY0 + timedelta(days=day, minutes=n)
    return QuestionRow(id=n, asked_at=asked, day=asked.date().isoformat(), article=article,
                       cited_article=cited if cited is not None else (None if refused else article), question=question,
                       answer=answer, refused=refused, latency_ms=latency, client="c0ffee", channel="chat",
                       liked=liked, comment=comment)


class TopicEmbeddings(Embeddings):
    """A question's vector is the sum of the topic axes whose keyword it holds (normalised), plus a
    small per-word part, so questions about one topic are close and about others far apart."""

    TOPICS = ("cost", "open", "stops", "vote", "weather")

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def _vector(self, text: str) -> list[float]:
        words = text.lower().split()
        vector = np.array([float(any(t in w for w in words)) for t in self.TOPICS] + [len(words) / 100], dtype=float)
        return (vector / np.linalg.norm(vector)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


# -- tallies ------------------------------------------------------------------------------------


@pytest.mark.unit
def test_tallies_per_article_and_day_with_shares_feedback_and_median_latency():
    rows = [
        row(1, latency=100, liked=True),
        row(2, latency=300, refused=True, liked=False),
        row(3, latency=200),
        row(4, day=1, latency=50, refused=True),
        row(5, article=None, cited="tram", latency=10),  # asked across all articles, answered from the tram article
        row(6, article=None, refused=True, latency=20),  # asked across all articles, refused: no article to count under
        row(7, article="museum", latency=70, liked=False),
    ]
    report = build_report(rows, TopicEmbeddings())
    days = {(t.article, t.day): t for t in report.days}
    first = days[("tram", "2025-05-01")]
    assert (first.questions, first.answered, first.refused, first.liked, first.disliked) == (4, 3, 1, 1, 1)
    assert first.answered_share == 0.75 and first.refused_share == 0.25
    assert first.median_latency_ms == 150.0  # of 100, 300, 200, 10
    assert days[("tram", "2025-05-02")].refused_share == 1.0
    assert days[(ALL_ARTICLES, "2025-05-01")].refused == 1
    assert days[("museum", "2025-05-01")].disliked == 1
    assert report.total.questions == 7 and report.total.refused == 3 and report.total.disliked == 2
    assert [(t.article, t.questions) for t in report.articles] == [("tram", 5), (ALL_ARTICLES, 1), ("museum", 1)]
    assert [(p.day, p.questions, p.refused) for p in report.daily] == [("2025-05-01", 6, 2), ("2025-05-02", 1, 1)]


@pytest.mark.unit
def test_the_daily_series_has_every_day_between_the_first_and_the_last():
    report = build_report([row(1), row(2, day=3, refused=True), row(3, day=3)], TopicEmbeddings())
    assert [(p.day, p.questions, p.refused_share) for p in report.daily] == [
        ("2025-05-01", 1, 0.0), ("2025-05-02", 0, 0.0), ("2025-05-03", 0, 0.0), ("2025-05-04", 2, 0.5)]


@pytest.mark.unit
def test_an_empty_log_gives_an_empty_report_and_embeds_nothing():
    embeddings = TopicEmbeddings()
    report = build_report([], embeddings)
    assert report.empty and report.days == [] and report.daily == [] and report.gaps == [] and report.disliked == []
    assert embeddings.calls == []
    assert "no question was refused" in render(report)


# -- disliked answers ---------------------------------------------------------------------------


@pytest.mark.unit
def test_disliked_answers_are_grouped_by_article_and_text_and_ranked_by_dislikes():
    wrong = "The line costs 240 million euros [1]."
    rows = [
        row(1, question="How much is it?", answer=wrong, liked=False, comment="that is the old figure"),
        row(2, question="how much  is IT?", answer=wrong, liked=False, comment="  "),
        row(3, question="What's the budget?", answer=wrong, liked=False, comment="outdated"),
        row(4, question="What's the budget?", answer=wrong, liked=True),  # a 👍 is not a 👎
        row(5, question="Who voted?", answer="31 to 12 [1].", liked=False, comment="<b>names</b> please"),
        row(6, article="museum", question="Cost?", answer=wrong, liked=False),  # same text, other article
        row(7, question="Who voted?", answer="31 to 12 [1].", liked=None),
    ]
    top, second, third = build_report(rows, TopicEmbeddings()).disliked
    assert (top.article, top.answer, top.dislikes) == ("tram", wrong, 3)
    assert top.questions == ("How much is it?", "What's the budget?")  # distinct, ignoring case and spacing
    assert top.comments == ("that is the old figure", "outdated")
    # equal counts: the most recent first
    assert (second.article, second.dislikes, second.comments) == ("museum", 1, ())
    assert (third.answer, third.comments) == ("31 to 12 [1].", ("<b>names</b> please",))
    assert len(build_report(rows, TopicEmbeddings(), disliked=1).disliked) == 1


# -- what readers asked that the article didn't answer -------------------------------------------


@pytest.mark.unit
def test_refused_questions_are_grouped_by_meaning_per_article_largest_first():
    refused = [
        ("tram", "How much will the cost be?"), ("tram", "What is the total cost?"), ("tram", "cost per year?"),
        ("tram", "Who bears the cost of it all?"), ("tram", "WHAT is the  total cost?"),
        ("tram", "When will it open?"), ("tram", "Opening date?"),
        ("tram", "Is the weather good?"),
        ("museum", "What did the cost of the wing come to?"),
    ]
    rows = [row(i, day=i % 3, article=a, question=q, refused=True) for i, (a, q) in enumerate(refused, 1)]
    rows.append(row(99, question="How much will the cost be?"))  # answered: not a gap
    embeddings = TopicEmbeddings()
    gaps = build_report(rows, embeddings).gaps
    # equal counts: the most recently asked first
    assert [(g.article, g.count) for g in gaps] == [("tram", 5), ("tram", 2), ("tram", 1), ("museum", 1)]
    cost = gaps[0]
    assert len(cost.examples) == 3 and len({e.casefold() for e in cost.examples}) == 3
    assert cost.examples[0] == "What is the total cost?"  # asked twice: the first example
    assert set(gaps[1].examples) == {"When will it open?", "Opening date?"}
    assert (cost.first_day, cost.last_day) == ("2025-05-01", "2025-05-03")
    # one call, each distinct text once, whatever its article
    assert len(embeddings.calls) == 1 and len(embeddings.calls[0]) == 8


@pytest.mark.unit
def test_average_link_merges_only_groups_that_are_close_on_average():
    def unit(*v):
        a = np.array(v, dtype=float)
        return a / np.linalg.norm(a)

    # b is close to both a and c, but a and c are far apart: average link keeps c out of {a, b}
    a, b, c, far = unit(1, 0, 0), unit(1, 0.8, 0), unit(0, 1, 0), unit(0, 0, 1)
    assert sorted(map(sorted, cluster(np.array([a, b, c, far]), 0.65))) == [[0, 1], [2], [3]]
    assert sorted(map(sorted, cluster(np.array([a, b, c, far]), 0.3))) == [[0, 1, 2], [3]]
    assert cluster(np.zeros((0, 3))) == [] and cluster(np.array([a])) == [[0]]
    # past the limit, rows join the nearest group or start one
    assert sorted(map(sorted, cluster(np.array([a, far, b, c, unit(0, 0.1, 1)]), 0.65, limit=2))) == [[0, 2], [1, 4], [3]]


# -- text, CSV, JSON, dates ---------------------------------------------------------------------


def _mixed_rows() -> list[QuestionRow]:
    return [
        row(1, question="How much will the cost be?", refused=True, answer="The article doesn't say.", liked=False,
            comment="I wanted the cost"),
        row(2, question="When will it open?", refused=True, day=1),
        row(3, question="Who voted?", answer="31 to 12 [1].", liked=True, day=1),
        row(4, article="=HYPERLINK(\"x\")", question="Cost?", refused=True, day=2),
    ]


@pytest.mark.unit
def test_the_text_report_has_aligned_tables_then_disliked_answers_then_gaps():
    text = render(build_report(_mixed_rows(), TopicEmbeddings()))
    table, rest = text.split("\n\nPer article\n\n")
    lines = table.splitlines()[2:]
    assert lines[0].split() == ["article", "day", "questions", "answered", "share", "refused", "share", "liked", "disliked", "median", "ms"]
    assert len({len(line) for line in lines}) == 1  # right-aligned numbers: every line ends at the same column
    assert lines[-1].startswith("all ") and lines[-1].split()[1:4] == ["4", "1", "25%"]
    assert rest.index("Most disliked answers") < rest.index("What readers asked that the article didn't answer")
    assert "comment: I wanted the cost" in rest
    assert "- How much will the cost be?" in rest and "1 question  tram" in rest


@pytest.mark.unit
def test_the_csv_has_a_header_and_one_row_per_article_and_day(tmp_path):
    report = build_report(_mixed_rows(), TopicEmbeddings())
    report.write_csv(tmp_path / "r.csv")
    with open(tmp_path / "r.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + len(report.days) == 4
    by_key = {(r[0], r[1]): dict(zip(CSV_COLUMNS, r)) for r in rows[1:]}
    first = by_key[("tram", "2025-05-01")]
    assert (first["questions"], first["refused"], first["refused_share"], first["disliked"]) == ("1", "1", "1.0000", "1")
    assert ("'=HYPERLINK(\"x\")", "2025-05-03") in by_key  # a formula-like id stays text in a spreadsheet
    out = io.StringIO()
    report.write_csv(out)
    assert out.getvalue() == (tmp_path / "r.csv").read_bytes().decode("utf-8")


@pytest.mark.unit
def test_the_json_form_is_serialisable_and_has_every_part():
    data = json.loads(json.dumps(build_report(_mixed_rows(), TopicEmbeddings(), since=date(2025, 5, 1)).as_json()))
    assert {"total", "articles", "days", "daily", "disliked", "gaps", "similarity", "since", "article"} <= data.keys()
    assert data["since"] == "2025-05-01" and data["total"]["refused_share"] == 0.75


@pytest.mark.unit
@pytest.mark.parametrize("given", ["2025-13-01", "yesterday", "2025-5-1", "20250501", "2025-W18-1"])
def test_a_bad_day_is_an_input_error_that_says_the_format(given):
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_day(given)


@pytest.mark.unit
def test_a_day_parses_and_none_means_no_filter():
    assert parse_day("2025-05-01") == date(2025, 5, 1)
    assert parse_day(None) is None and parse_day("") is None


# -- the real model -----------------------------------------------------------------------------

#: The made-up refused questions GAP_SIMILARITY was chosen on, by the question an editor would see in each.
EXAMPLES = {
    "tram": {
        "cost": ["How much will the tram line cost?", "What is the budget for the new tram?",
                 "how expensive is the tram project", "Who pays for the tram line?"],
        "opening": ["When will the tram open?", "When does the tram start running?", "What year will the tram line be finished?"],
        "route": ["Which stops will the tram have?", "Where does the tram line go?", "What is the route of the tram?"],
        "vote": ["What did the opposition say about the vote?"],
        "mayor": ["Is the mayor running for re-election?"],
    },
    "seed": {
        "reaction": ["What did Putin say about the Alaska summit?", "What was Russia's reaction to the summit?",
                     "How did the Kremlin respond to the Alaska meeting?"],
        "leader": ["Who is the leader of Kalmykia?", "Who runs Kalmykia?"],
        "population": ["What is Kalmykia's population?", "How many people live in Kalmykia?"],
        "temples": ["Did Rijiju visit a Buddhist temple?", "Which monasteries did Rijiju visit?"],
    },
    "museum": {
        "price": ["How much does a ticket cost?", "What is the entry fee?", "Are tickets expensive?"],
        "hours": ["When is the museum open?", "What are the opening hours?", "Is it open on Mondays?"],
        "architect": ["Who designed the new wing?", "Which architect built the glass wing?"],
        "parking": ["Is there parking near the museum?"],
    },
}
#: Rephrasings MiniLM puts well above the bar (0.74 and more): each must make one group.
WHOLE = {"opening", "route", "leader", "population", "temples", "architect"}


@pytest.mark.slow
def test_minilm_at_the_chosen_similarity_never_mixes_two_questions_in_a_group():
    from bot.settings import Settings
    from index.embeddings import LazyEmbeddings

    rows, topic = [], {}
    for article, groups in EXAMPLES.items():
        for name, questions in groups.items():
            for q in questions:
                topic[q] = name
                rows.append(row(len(rows) + 1, article=article, question=q, refused=True))
    gaps = build_report(rows, LazyEmbeddings(Settings().model_path)).gaps
    members = [{topic[e] for e in g.examples} for g in gaps]
    assert all(len(m) == 1 for m in members), members  # no group mixes two questions
    assert sum(len(g.examples) for g in gaps) == len(rows) - sum(max(0, g.count - 3) for g in gaps)
    for name in WHOLE:
        assert sum(name in m for m in members) == 1, name
    # the pairs the bar was set above: different questions, one article, similarity up to 0.69
    assert {"opening"} in members and {"route"} in members and {"leader"} in members and {"population"} in members


# -- `bot report` on a real log -----------------------------------------------------------------

BOT = str(Path(sys.executable).with_name("bot"))
ARTICLES = {"tram": "tram-line", "seed": "india-russia-kalmykia-alaska", "museum": "museum-wing"}
#: How often each made-up unanswered question is asked (its rephrasings in turn): opening and
#: population lead, and their rephrasings sit well above the bar, so they are the top two groups.
ASKED = {("tram", "opening"): 30, ("seed", "population"): 20, ("tram", "route"): 12, ("museum", "architect"): 9,
         ("seed", "temples"): 6, ("tram", "vote"): 3, ("museum", "parking"): 2}
ANSWERED = {
    "tram": ["How did the council vote?", "What will the line link?", "How much will construction cost?"],
    "seed": ["What did India say about the Alaska summit?", "Who did Rijiju meet?", "Where is Kalmykia?"],
    "museum": ["When did the new wing open?", "How much are tickets?", "Do children pay?"],
}
WRONG = "The line will cost 240 million euros [1]."


def record_log(book, days: int = 20) -> list[tuple[str, str, bool]]:
    """Record 240 questions through ``book`` over the last ``days`` days (backdated in its table):
    the refused ones of :data:`ASKED`, answered ones about each article, some disliked with comments."""
    from sqlalchemy import bindparam, update

    from bot.logbook.schema import questions
    from bot.models import Answer, Citation, refusal_text

    rng = random.Random(7)
    plan = [(key, ARTICLES[key], q, True) for (key, name), n in ASKED.items()
            for q in (EXAMPLES[key][name] * n)[:n]]
    while len(plan) < 240:
        key = rng.choice(list(ARTICLES))
        plan.append((key, ARTICLES[key], rng.choice(ANSWERED[key]), False))
    rng.shuffle(plan)
    now, moved = datetime.now(UTC), []
    for i, (key, article_id, question, refused) in enumerate(plan):
        if refused:
            answer = Answer(question=question, answer=refusal_text(question), refused=True)
        else:
            text = WRONG if question == "How much will construction cost?" else f"The article says so about {key} [1]."
            answer = Answer(question=question, answer=text, refused=False, citations=[Citation(
                article_id=article_id, title=key, text="A passage.", start=0, end=10, score=0.7, n=1)])
        scope = article_id if refused or i % 3 else None  # a third of the answered asked across all articles
        row_id = book.record(question=question, article=scope, answer=answer, latency_ms=80 + i % 50,
                             client=f"10.0.0.{i % 30}", channel=("chat", "embed", "api", "openai")[i % 4])
        if question == "How much will construction cost?":
            book.rate(row_id, False, f"The figure is out of date ({i})" if i % 2 else None)
        elif i % 11 == 0:
            book.rate(row_id, False, "Not what I asked <b>at all</b>")
        elif i % 5 == 0:
            book.rate(row_id, True)
        at = now - timedelta(days=days - 1 - i * days // len(plan), minutes=i)
        moved.append({"rid": row_id, "at": at, "d": at.date().isoformat()})
    with book.engine.begin() as conn:
        conn.execute(update(questions).where(questions.c.id == bindparam("rid"))
                     .values(asked_at=bindparam("at"), day=bindparam("d")), moved)
    return plan


@pytest.mark.slow
def test_bot_report_on_a_log_of_240_questions(make_book, database_url, tmp_path):
    from typer.testing import CliRunner

    from bot.cli import app

    data = tmp_path / "data"
    book = make_book(data_dir=data)
    record_log(book)
    rows = book.rows()
    assert len(rows) == 240 and sum(r.refused for r in rows) == sum(ASKED.values()) and any(r.liked is False for r in rows)
    env = {**os.environ, "BOT_DATABASE_URL": database_url}

    shown = subprocess.run([BOT, "--data-dir", str(data), "report"], capture_output=True, text=True, env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert out.startswith("Questions per article and day (240 questions, ")
    for article_id in ARTICLES.values():
        assert f"\n{article_id} " in out
    assert "\nall " in out
    disliked = out.split("Most disliked answers\n\n")[1].split("\n\nWhat readers asked")[0]
    assert disliked.startswith(" 1. ") and f"answer:  {WRONG}" in disliked.split("\n 2. ")[0]
    assert "comment: The figure is out of date" in disliked
    gaps = out.split("What readers asked that the article didn't answer\n\n")[1].splitlines()
    assert gaps[0].startswith(" 1. 30 questions  tram-line  (")
    assert {g.strip("- ") for g in gaps[1:4]} == set(EXAMPLES["tram"]["opening"])
    assert gaps[4].startswith(" 2. 20 questions  india-russia-kalmykia-alaska  (")

    runner = CliRunner()
    result = runner.invoke(app, ["--data-dir", str(data), "report", "--csv", str(tmp_path / "r.csv")], env=env)
    assert result.exit_code == 0, result.output
    assert "wrote " in result.output and str(tmp_path / "r.csv") in result.output
    with open(tmp_path / "r.csv", encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert sum(int(r["questions"]) for r in table) == 240 and sum(int(r["refused"]) for r in table) == sum(ASKED.values())
    assert {r["article"] for r in table} <= {*ARTICLES.values(), "(all articles)"} and len(table) > 20

    museum = runner.invoke(app, ["--data-dir", str(data), "report", "--article", "museum-wing", "--json"], env=env)
    data_json = json.loads(museum.output)
    assert {t["article"] for t in data_json["days"]} == {"museum-wing"}
    assert data_json["total"]["questions"] == len(book.rows(article="museum-wing"))
    assert [(g["article"], g["count"]) for g in data_json["gaps"][:1]] == [("museum-wing", 9)]

    since = (datetime.now(UTC) - timedelta(days=5)).date()
    recent = runner.invoke(app, ["--data-dir", str(data), "report", "--since", since.isoformat(), "--json"], env=env)
    days = [t["day"] for t in json.loads(recent.output)["days"]]
    assert days and min(days) >= since.isoformat() and json.loads(recent.output)["total"]["questions"] < 240

    bad = subprocess.run([BOT, "--data-dir", str(data), "report", "--since", "last week"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: --since 'last week' is not a day: use YYYY-MM-DD")


@pytest.mark.slow
def test_bot_report_on_an_empty_log_says_so(tmp_path):
    shown = subprocess.run([BOT, "--data-dir", str(tmp_path / "data"), "report"], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if not k.startswith("BOT_")}, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("no questions logged yet")


@pytest.mark.slow
def test_bot_report_on_an_empty_log_is_still_json_and_csv(tmp_path):
    """Scripts parse the output: an empty log is a report of zeros and empty lists, and a CSV with its header."""
    target = tmp_path / "empty.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    shown = subprocess.run([BOT, "--data-dir", str(tmp_path / "data"), "report", "--json", "--csv", str(target)],
                           capture_output=True, text=True, env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report.keys() == build_report([row(liked=False)], TopicEmbeddings()).as_json().keys()
    assert report["total"]["questions"] == 0 and report["total"]["refused_share"] == 0.0
    assert all(report[part] == [] for part in ("articles", "days", "daily", "disliked", "gaps"))
    assert target.read_text(encoding="utf-8").splitlines() == [",".join(CSV_COLUMNS)]
    assert shown.stderr.startswith(f"wrote 0 rows (one per article and day) to {target}")
