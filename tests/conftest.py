"""Shared fixtures: every path under tmp_path, the real model loaded once per session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.chain import NewsBot
from bot.settings import BUNDLED_ARTICLES, Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_ID = "india-russia-kalmykia-alaska"
SEED_TEXT = (BUNDLED_ARTICLES / f"{SEED_ID}.txt").read_text(encoding="utf-8")
DEV_PATH = SHARED / "eval" / "dev.jsonl"


def dev_set() -> list[dict]:
    """``../shared/eval/dev.jsonl`` if present, else the copy in tests/data."""
    path = DEV_PATH if DEV_PATH.is_file() else Path(__file__).parent / "data" / "dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def passes(answer: str, expect: list[list[str]]) -> bool:
    return all(any(s.lower() in answer.lower() for s in group) for group in expect)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the user's real data dir or settings."""
    for key in list(__import__("os").environ):
        if key.startswith("BOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """A data dir holding the seed article, ingested once with the real model."""
    data = tmp_path_factory.mktemp("seed") / "data"
    NewsBot(Settings(data_dir=data)).ingest_bundled()
    return data


@pytest.fixture
def seed_bot(seed_dir, tmp_path) -> NewsBot:
    """A bot over a private copy of the seeded index."""
    data = tmp_path / "seeded"
    shutil.copytree(seed_dir, data)
    return NewsBot(Settings(data_dir=data))
