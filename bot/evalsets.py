"""Evaluation sets for ``bot eval``: SQuAD 2.0 articles, dev.jsonl-style files, folders of news articles.

A dev.jsonl-style line is ``{"id", "kind", "question", "history", "expect", "gold"}``; the kinds
``out_of_scope``, ``off_topic`` and ``near_miss`` are questions the article does not answer (a
near miss asks for another year, person or figure than the article gives), every other kind
(``fact``, ``paraphrase``, ``yesno``, ``followup``) is answerable. A folder such as
``benchmarks/news`` pairs each ``<name>.jsonl`` with its ``<name>.txt``; its ``split.json`` names
the check articles, which nothing is fitted or chosen on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import BUNDLED_ARTICLES
from index.errors import InputError
from index.loader import Article, jsonl_objects, load_article

__all__ = ["EvalItem", "EvalSet", "OUT_OF_SCOPE", "load_eval_set", "parse_ranges"]

#: question kinds the article does not answer (the bot should refuse them)
OUT_OF_SCOPE = frozenset({"out_of_scope", "off_topic", "near_miss"})


@dataclass
class EvalItem:
    id: str
    question: str
    answerable: bool
    history: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # SQuAD: any one must appear
    expect: list[list[str]] | None = None  # dev.jsonl: one of each group must appear
    gold: str | None = None
    gold_offsets: list[int] = field(default_factory=list)
    kind: str | None = None  # news and dev.jsonl: fact, paraphrase, yesno, followup, off_topic, near_miss, out_of_scope
    tempting: str | None = None  # newsroom corpus: the sentence an out-of-scope question must not be answered with


@dataclass
class EvalSet:
    article: Article
    items: list[EvalItem]


def parse_ranges(spec: str | None, total: int) -> list[int]:
    """``"1-6"``, ``"7,9-10"`` → 1-based article numbers; None means all."""
    if not spec:
        return list(range(1, total + 1))
    picked: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise InputError(f"--articles {spec!r}: use numbers and ranges like 1-6 or 7,9-10")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= lo <= hi <= total:
            raise InputError(f"--articles {spec!r}: the file has articles 1-{total}")
        picked.extend(range(lo, hi + 1))
    return picked


def _squad_sets(data: dict, articles: str | None) -> list[EvalSet]:
    sets = []
    for number in parse_ranges(articles, len(data["data"])):
        entry = data["data"][number - 1]
        text, items, offset = [], [], 0
        for paragraph in entry["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                answers = [a["text"] for a in qa.get("answers", [])]
                items.append(
                    EvalItem(
                        id=qa["id"],
                        question=qa["question"],
                        answerable=not qa.get("is_impossible", False),
                        answers=answers,
                        gold_offsets=[offset + a["answer_start"] for a in qa.get("answers", [])],
                    )
                )
            text.append(context)
            offset += len(context) + 2
        article = Article(id=f"squad-{number}", title=entry["title"].replace("_", " "), text="\n\n".join(text))
        sets.append(EvalSet(article, items))
    return sets


def _dev_set(path: Path, article_paths: list[Path]) -> list[EvalSet]:
    items = []
    for number, row in jsonl_objects(path, InputError, 'an object with a "question"'):
        if not isinstance(row.get("question"), str) or not row["question"].strip():
            raise InputError(f"{path}:{number}: \"question\" is missing or empty")
        if not isinstance(row.get("history") or [], list) or not isinstance(row.get("expect") or [], list):
            raise InputError(f"{path}:{number}: \"history\" and \"expect\" must be lists")
        items.append(
            EvalItem(
                id=str(row.get("id", number)),
                question=row["question"],
                answerable=row.get("kind") not in OUT_OF_SCOPE,
                kind=row.get("kind"),
                history=row.get("history") or [],
                expect=row.get("expect") or [],
                gold=row.get("gold"),
                tempting=row.get("tempting") if isinstance(row.get("tempting"), str) else None,
            )
        )
    if not items:  # a table of zeros would read as a measurement
        raise InputError(f"no questions in {path}: give a file with one JSON object a line, each with a \"question\"")
    articles = [load_article(p) for p in article_paths]
    return [EvalSet(a, items if i == 0 else []) for i, a in enumerate(articles)]


def _news_sets(folder: Path, part: str | None) -> list[EvalSet]:
    """Every ``<name>.jsonl`` of ``folder`` asked against its ``<name>.txt``; ``part`` ("fit" or
    "check") keeps the articles ``split.json`` puts there (``{"check": [names]}``, the rest is fit)."""
    pairs = sorted(p for p in folder.glob("*.jsonl") if p.with_suffix(".txt").is_file())
    if not pairs:
        raise InputError(f"{folder}: no <name>.jsonl with a <name>.txt beside it")
    if part:
        split = folder / "split.json"
        try:
            check = set(json.loads(split.read_text(encoding="utf-8"))["check"])
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError(f"{split}: needed for --part, as {{\"check\": [article names]}}") from None
        pairs = [p for p in pairs if (p.stem in check) == (part == "check")]
        if not pairs:
            raise InputError(f"no questions in {folder} for --part {part}: its split.json puts no article there")
    return [s for p in pairs for s in _dev_set(p, [p.with_suffix(".txt")])]


def load_eval_set(
    path: Path, articles: str | None = None, article_paths: list[Path] | None = None, part: str | None = None
) -> list[EvalSet]:
    """Read a SQuAD 2.0 JSON file, a dev.jsonl-style file (asked against ``article_paths``), or a
    folder of news articles with their questions (``part``: its fit or check articles)."""
    if path.is_dir():
        if articles or article_paths:
            raise InputError("a folder of articles and questions takes neither --articles nor --article")
        return _news_sets(path, part)
    if part:
        raise InputError("--part picks the fit or check articles of a folder like benchmarks/news")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or "data" not in data:
            raise InputError(f"{path}: not a SQuAD file (no \"data\" list)")
        sets = _squad_sets(data, articles)
        if not any(s.items for s in sets):
            raise InputError(f"no questions in {path}" + (f" (--articles {articles})" if articles else ""))
        return sets
    if articles:
        raise InputError("--articles picks SQuAD articles; a .jsonl file is asked against --article files")
    paths = article_paths or sorted(p for p in BUNDLED_ARTICLES.iterdir() if p.suffix in (".txt", ".md"))
    return _dev_set(path, paths)
