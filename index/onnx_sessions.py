"""onnxruntime sessions on the CPU, as the embedder and the reader run theirs, and the optimised copies that
make loading one quick.

onnxruntime optimises a model's graph (fusing the attention, the layer norms, the quantised products) every
time it loads it, and parses every weight out of the file: about 0.15 s for the int8 embedder, on the path
of every cold question. :func:`cpu_session` given a ``cache`` keeps the optimised graph there the first time,
its weights in a file of their own, and later loads that copy with no optimisation and its weights mapped from
the file, not parsed: 0.05 s for the embedder, the same vectors to the last bit, the same speed per run
(benchmarks: 0.37 s → 0.05 s median on a busy 2-core machine). The copy is named by the model file (path,
size, time) and the onnxruntime version, so a new export or an upgrade makes a new one; a cache that cannot
be written only means the model is optimised at every load, as before.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cpu_session", "optimized_copy", "OPTIMIZED_DIR"]

#: the folder of the model cache that holds the optimised copies (deleting it is always safe)
OPTIMIZED_DIR = "optimized"
_GRAPH, _WEIGHTS = "model.onnx", "model.data"


def _options(threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _session(model: Path, options: Any) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def cpu_session(model: Path, threads: int, cache: Path | None = None) -> Any:
    """An onnxruntime session for the ONNX file ``model`` on the CPU: ``threads`` for one run, one run at a
    time, and no spinning between runs (idle threads would take the cores the next model needs: the embedder,
    the reader, the ranker take turns). With ``cache``, loaded from its optimised copy there (made first if
    missing and the cache can be written; see the module docstring)."""
    import onnxruntime as ort

    options = _options(threads)
    ready = optimized_copy(model, cache) if cache is not None else None
    if ready is not None:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # optimised already
        return _session(ready, options)
    return _session(Path(model), options)


def optimized_copy(model: Path, cache: Path) -> Path | None:
    """The graph file of ``model``'s optimised copy in ``cache``, made now if missing; ``None`` where the cache
    cannot be written. Two processes may make it at once: each writes a folder of its own and the first to
    rename it into place wins."""
    import onnxruntime as ort

    model = Path(model).resolve()
    stat = model.stat()
    key = hashlib.sha256(f"{model}|{stat.st_size}|{stat.st_mtime_ns}|{ort.__version__}".encode()).hexdigest()[:16]
    folder = Path(cache) / OPTIMIZED_DIR / key
    if (folder / _GRAPH).is_file():
        return folder / _GRAPH
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder.parent))
    except OSError:
        return None
    try:
        options = _options(1)
        # extended, not all: the layout changes "all" adds are for convolutions, and may be tied to the CPU
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(tmp / _GRAPH)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", _WEIGHTS)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        _session(model, options)
        tmp.chmod(0o755)  # mkdtemp's folder is the user's alone; a cache an admin fills is read by every user
        os.replace(tmp, folder)  # fails if another process put its copy there first: then that one is used
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder / _GRAPH if (folder / _GRAPH).is_file() else None
