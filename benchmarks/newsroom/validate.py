"""Check the newsroom corpus: every article and question file in this folder, or the ones named.

    .venv/bin/python benchmarks/newsroom/validate.py [FILE.txt ...]

Each ``<name>.txt`` is an article (a headline line, a blank line, the body); ``<name>.jsonl`` holds its questions.
Rules (see README.md): kinds known; ids unique across the folder; an answerable question's ``gold`` is a verbatim
substring of the article and each ``expect`` group has a string that occurs in the article; a follow-up has a
``history``; an out-of-scope question names its ``tempting`` sentence, verbatim; no question copies the article.
Prints one line per problem and a summary; exits 1 when there is any problem.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANSWERABLE = {"fact", "paraphrase", "yesno", "followup"}
UNANSWERABLE = {"off_topic", "near_miss"}
FORMS = {"wire", "feature", "obituary", "match_report", "court_report", "explainer", "interview", "live_updates",
         "press_release", "opinion", "correction", "broadcast"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def check_article(txt: Path, seen_ids: dict[str, str]) -> tuple[list[str], Counter]:
    problems: list[str] = []
    kinds: Counter = Counter()
    text = txt.read_text(encoding="utf-8")
    lines = text.split("\n")
    if len(lines) < 3 or not lines[0].strip() or lines[1].strip():
        problems.append(f"{txt.name}: the first line must be the headline, the second blank")
    words = len(_words(text))
    if words < 300:
        problems.append(f"{txt.name}: only {words} words (at least 300)")
    meta = txt.with_suffix(".json")
    if meta.is_file():
        info = json.loads(meta.read_text(encoding="utf-8"))
        if info.get("form") not in FORMS:
            problems.append(f"{meta.name}: form {info.get('form')!r} is not one of {sorted(FORMS)}")
    else:
        problems.append(f"{txt.name}: no {meta.name} sidecar with its form, beat and wire flag")
    qfile = txt.with_suffix(".jsonl")
    if not qfile.is_file():
        return problems + [f"{txt.name}: no {qfile.name}"], kinds
    lower = text.lower()
    for n, line in enumerate(qfile.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{qfile.name}:{n}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        qid, kind, question = q.get("id"), q.get("kind"), q.get("question")
        if not isinstance(qid, str) or not qid:
            problems.append(f"{where}: no id")
        elif qid in seen_ids:
            problems.append(f"{where}: id {qid} also in {seen_ids[qid]}")
        else:
            seen_ids[qid] = qfile.name
        if not isinstance(question, str) or not question.strip().endswith("?"):
            problems.append(f"{where}: the question must be a string ending in '?'")
            continue
        kinds[kind] += 1
        if question.lower().rstrip("?") in lower and len(question) > 40:
            problems.append(f"{where}: the question copies the article")
        if kind in ANSWERABLE:
            gold = q.get("gold")
            if not isinstance(gold, str) or gold not in text:
                problems.append(f"{where}: gold is not a verbatim substring of the article: {gold!r}")
            expect = q.get("expect")
            if not isinstance(expect, list) or not expect or not all(isinstance(g, list) and g for g in expect):
                problems.append(f"{where}: expect must be a non-empty list of non-empty lists of strings")
            else:
                for group in expect:
                    if not any(isinstance(s, str) and s.lower() in lower for s in group):
                        problems.append(f"{where}: no string of {group} occurs in the article")
                    elif isinstance(gold, str) and not any(s.lower() in gold.lower() for s in group):
                        problems.append(f"{where}: no string of {group} occurs in the gold sentence")
            if kind == "followup" and not (isinstance(q.get("history"), list) and q["history"]):
                problems.append(f"{where}: a follow-up needs a history of earlier questions")
        elif kind in UNANSWERABLE:
            tempting = q.get("tempting")
            if not isinstance(tempting, str) or tempting not in text:
                problems.append(f"{where}: tempting is not a verbatim substring of the article: {tempting!r}")
            if "expect" in q or "gold" in q:
                problems.append(f"{where}: an out-of-scope question has no expect or gold")
        else:
            problems.append(f"{where}: unknown kind {kind!r}")
    return problems, kinds


def main(argv: list[str]) -> int:
    files = [Path(a).resolve() for a in argv] if argv else sorted(HERE.glob("*.txt"))
    seen: dict[str, str] = {}
    for other in sorted(HERE.glob("*.jsonl")):  # ids must be unique across the whole folder
        if other.with_suffix(".txt") not in files:
            for line in other.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    try:
                        seen.setdefault(json.loads(line).get("id", ""), other.name)
                    except json.JSONDecodeError:
                        pass
    problems: list[str] = []
    total: Counter = Counter()
    for txt in files:
        found, kinds = check_article(txt, seen)
        problems += found
        total += kinds
    for problem in problems:
        print(problem)
    questions = sum(total.values())
    out = total["off_topic"] + total["near_miss"]
    print(f"{len(files)} articles, {questions} questions: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
          + f"; out of scope {out / max(questions, 1):.0%}; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
