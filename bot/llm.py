"""The optional LLM answerer: an OpenAI-compatible endpoint or Ollama, via LangChain chat models.

The model sees the retrieved passages numbered 1..k (``prompts/answer.txt``) and is
asked to cite them as [n] or refuse. Markers that point at no retrieved passage are
dropped; an answer left with no valid marker is treated as a refusal, because the
product never shows an uncited claim.
"""

from __future__ import annotations

import os

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

import prompts
from bot.citations import passage_of, renumber_markers
from index.errors import BackendUnavailableError, InputError, is_connection_error
from bot.models import Answer, refusal_text

__all__ = ["LLMAnswerer", "make_chat_model", "condense_question"]

REFUSAL_PREFIX = "the article doesn't say"


def make_chat_model(settings) -> BaseChatModel:
    """The chat model the settings name (``answerer`` = ``openai`` or ``ollama``)."""
    if settings.answerer == "openai":
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
    if settings.answerer == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            base_url=settings.llm_base_url or "http://localhost:11434",
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    raise InputError(f"answerer {settings.answerer!r} is not an LLM answerer")


def _call(model: BaseChatModel, prompt: str) -> str:
    try:
        reply = model.invoke([HumanMessage(prompt)])
    except Exception as exc:  # the client libraries raise many types; all mean "endpoint unusable"
        name = type(exc).__name__
        if is_connection_error(exc):
            raise BackendUnavailableError(
                f"cannot reach the LLM endpoint ({name}); check BOT_LLM_BASE_URL or use BOT_ANSWERER=extractive"
            ) from None
        raise BackendUnavailableError(f"the LLM endpoint failed: {name}: {exc}"[:300]) from None
    content = reply.content
    return content if isinstance(content, str) else "".join(str(part) for part in content)


def format_passages(passages: list[Document]) -> str:
    return "\n\n".join(f"[{i}] ({d.metadata.get('title', '')})\n{d.page_content}" for i, d in enumerate(passages, 1))


class LLMAnswerer:
    """Writes the answer with a chat model; cites retrieved passages by [n]."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    def answer(self, question: str, passages: list[Document], display_question: str | None = None) -> Answer:
        shown = display_question or question
        if not passages:
            return Answer(question=shown, answer=refusal_text(shown), refused=True)
        raw = _call(self.model, prompts.render("answer", passages=format_passages(passages), question=question)).strip()
        text, citations = renumber_markers(raw, passages)
        related = [passage_of(passages[0], 0)]  # the retriever's best passage
        if not text or text.lower().startswith(REFUSAL_PREFIX) or not citations:
            plain = text if text.lower().startswith(REFUSAL_PREFIX) and not citations else refusal_text(shown)
            return Answer(question=shown, answer=plain, refused=True, related=related)
        return Answer(question=shown, answer=text, refused=False, citations=citations, related=related)


def condense_question(model: BaseChatModel, question: str, history: list[str]) -> str:
    """The LLM's stand-alone rewrite of ``question``; the original if the reply is empty."""
    history_text = "\n".join(f"- {turn}" for turn in history)
    rewritten = _call(model, prompts.render("condense", history=history_text, question=question)).strip()
    rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
    return rewritten or question
