"""The answerer backends: who writes the answer (``BOT_ANSWERER``), in one registry.

Each :class:`Backend` has its name, a one-line description and, for an LLM, the factory that
makes its chat model from the settings. The settings' allowed names and the CLI's help and
choices come from :data:`BACKENDS`, so adding a backend touches this file only. Importing it
is cheap: each factory imports its client library (``xllamacpp``, ``langchain-openai``,
``langchain-ollama``) when it is called, never before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from index.errors import BackendUnavailableError, InputError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["Backend", "BACKENDS", "ChatSettings", "NAMES", "names_text", "make_chat_model"]


class ChatSettings(Protocol):
    """What a backend's factory reads of :class:`bot.settings.Settings` (which imports this registry for
    its names, so the settings are described here rather than imported)."""

    answerer: str
    llm_model_path: str | None
    llm_threads: int
    llm_max_tokens: int
    llm_base_url: str | None
    llm_model: str
    llm_api_key_env: str
    llm_timeout: float
    llm_temperature: float


@dataclass(frozen=True)
class Backend:
    """One answerer backend: its ``BOT_ANSWERER`` name, what it is, and how its chat model is made
    (``None``: no chat model, the extractive answerer alone)."""

    name: str
    description: str
    make: Callable[[ChatSettings], BaseChatModel] | None = None


def _local(settings: ChatSettings) -> BaseChatModel:
    from bot.local_llm import LocalChatModel, default_model_path

    path = settings.llm_model_path or default_model_path()
    if not path:
        raise BackendUnavailableError(
            "BOT_ANSWERER=local needs a model: set BOT_LLM_MODEL_PATH to a GGUF file (see docs/llm.md)")
    return LocalChatModel(model_path=str(path), n_threads=settings.llm_threads, max_tokens=settings.llm_max_tokens,
                          temperature=settings.llm_temperature)


def _openai(settings: ChatSettings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    key = os.environ.get(settings.llm_api_key_env) or "not-needed"
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=key,
        timeout=settings.llm_timeout,
        max_retries=1,
        temperature=settings.llm_temperature,
    )


def _ollama(settings: ChatSettings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(
        base_url=settings.llm_base_url or "http://localhost:11434",
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        client_kwargs={"timeout": settings.llm_timeout},
    )


#: Every backend by name, in the order help texts list them.
BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("extractive", "the extractive answerer: quotes the article's best sentences, no LLM"),
    Backend("local", "a GGUF model run in this process by llama.cpp (BOT_LLM_MODEL_PATH)", _local),
    Backend("openai", "an OpenAI-compatible endpoint (BOT_LLM_BASE_URL, BOT_LLM_MODEL)", _openai),
    Backend("ollama", "an Ollama endpoint (BOT_LLM_BASE_URL, BOT_LLM_MODEL)", _ollama),
)}

#: The names ``BOT_ANSWERER`` (and ``bot eval --answerer``) accept.
NAMES: tuple[str, ...] = tuple(BACKENDS)


def names_text(quote: bool = False) -> str:
    """The names as a sentence lists them: ``extractive, local, openai or ollama`` (``quote``: each in quotes)."""
    shown = [repr(n) if quote else n for n in NAMES]
    return f"{', '.join(shown[:-1])} or {shown[-1]}" if len(shown) > 1 else shown[0]


def make_chat_model(settings: ChatSettings) -> BaseChatModel:
    """The chat model of the backend the settings name (``answerer``); an :class:`InputError` for one without."""
    backend = BACKENDS.get(settings.answerer)
    if backend is None or backend.make is None:
        raise InputError(f"answerer {settings.answerer!r} is not an LLM answerer")
    return backend.make(settings)
