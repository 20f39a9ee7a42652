"""The local model's runtime: llama.cpp's server, in this process, through ``xllamacpp``.

:class:`~bot.local_llm.LocalChatModel` asks :func:`server` for the server of its model and
load settings; it is loaded on first use and kept for the life of the process.

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

import os
import secrets
import threading
from pathlib import Path
from typing import Any

from index.errors import BackendUnavailableError

__all__ = ["MODEL_PATH_ENV", "server"]

#: Set ``BOT_LLM_MODEL_PATH`` to a GGUF file: named in every load error.
MODEL_PATH_ENV = "BOT_LLM_MODEL_PATH"
_INSTALL_HINT = "the local runtime is not installed: pip install 'newsbot[local]'"
#: llama.cpp's RAM cache of idle slots' KV state defaults to 8 GiB; this keeps it modest.
_PROMPT_CACHE_MIB = 1024

_load_lock = threading.Lock()
_servers: dict[tuple[str, int, int], Any] = {}


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


def server(path: str, n_ctx: int, n_threads: int) -> Any:
    """The process's llama.cpp server for this model and these load settings, loaded on first use."""
    key = (os.path.realpath(os.path.expanduser(path)) if path else "", n_ctx, n_threads)
    loaded = _servers.get(key)
    if loaded is not None:
        return loaded
    xlc = _xllamacpp()
    with _load_lock:
        loaded = _servers.get(key)
        if loaded is None:
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
                loaded = xlc.Server(params)
            except (RuntimeError, ValueError) as exc:
                raise _load_error(path, f"llama.cpp could not load it ({exc})") from None
            _servers[key] = loaded
    return loaded
