"""Gradio's own routes: a bad call is a 4xx error in the API's shape, and no error drops the connection.

:class:`GradioCalls` sits inside each mounted Gradio app; :func:`note_refusal` lets a Gradio function
say which :class:`BotError` refused its call, so a direct call gets that error's status."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from typing import Any

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.errors import error_response, status_of
from index.errors import BotError

__all__ = ["GradioCalls", "gradio_bad_request", "note_refusal"]


_log = logging.getLogger(__name__)
#: the BotError a Gradio function refused its call with (see :func:`note_refusal`), per request
_refusal: ContextVar[list | None] = ContextVar("gradio_refusal", default=None)
#: the routes that take Gradio's PredictBody, the named calls, and the component server (paths inside the mount)
_PREDICT = re.compile(r"/gradio_api/(?:queue/(join)|(?:run|api)/([^/]+))/?")
_NAMED = re.compile(r"/gradio_api/call/(?:(v2)/)?([^/]+)/?")
_COMPONENT = re.compile(r"/gradio_api/component_server/?")
_INTERNAL = "internal error; the server logged it and keeps running"


def note_refusal(exc: BotError) -> None:
    """Note that the Gradio function answering this request refused it with ``exc``: Gradio answers every
    error it catches with a 500, and :class:`GradioCalls` turns that into ``exc``'s status."""
    box = _refusal.get()
    if box is not None and not box:  # the first only, and no traceback kept
        box.append((status_of(exc), type(exc).__name__, str(exc), getattr(exc, "retry_after", None)))


class _Refused(Exception):
    """A call that :class:`GradioCalls` answers itself: ``status`` and ``message``."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


class GradioCalls:
    """ASGI middleware inside each mounted Gradio app (``blocks`` its Blocks).

    Gradio meets a call it cannot route with an unhandled exception (an unknown ``fn_index``
    or endpoint name: uvicorn answers 500 and drops the connection) and every error in a
    function, bad input included, with a 500. So, before Gradio reads a call, its body is
    checked against the app's functions as Gradio will use it: a JSON object of Gradio's
    shape, a known function, enough values, each valid for its component, the event data an
    event handler reads. A refusal is a 404 or 422 in the API's error shape. A direct call
    (``/run/…``) that a function refuses gets the status of the :class:`BotError` it noted
    (:func:`note_refusal`), a ``gr.Error`` a 422, anything else a 500 with no details; and
    an error escaping Gradio is logged and answered (or its stream ended) without closing
    the connection.
    """

    def __init__(self, app: ASGIApp, blocks) -> None:
        self.app, self.blocks = app, blocks
        self._parameters: dict[str, list[dict]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, root = scope.get("path", ""), scope.get("root_path", "")
        route = path[len(root):] if root and path.startswith(root) else path
        direct = False
        if scope.get("method") == "POST" and (_PREDICT.fullmatch(route) or _NAMED.fullmatch(route) or _COMPONENT.fullmatch(route)):
            body = await _read(receive)  # whole: BodyLimit, outside, bounds it
            try:
                direct = self._check(route, body, Headers(scope=scope).get("content-type", ""))
            except _Refused as exc:
                return await error_response(exc.status, str(exc), exc.kind)(scope, receive, send)
            receive = _replay(body, receive)
        box: list = []
        token = _refusal.set(box)
        try:
            await self._answer(scope, receive, send, box if direct else None)
        finally:
            _refusal.reset(token)

    def _check(self, route: str, raw: bytes, content_type: str) -> bool:
        """Raise :class:`_Refused` for a call Gradio would fail on; whether it is a direct call (``/run/…``)."""
        if (named := _NAMED.fullmatch(route)) is not None:
            v2, name = named.groups()
            known = {fn.api_name for fn in self.blocks.fns.values() if fn.fn and (not v2 or fn.api_visibility == "public")}
            if name not in known:
                raise _Refused(404, f"no Gradio endpoint named {name!r}; see /gradio_api/info", "not_found")
            if v2:  # its parameters by name, as /gradio_api/info lists them
                self._check_arguments(name, _json_object(raw))
            else:  # {"data": [...]}, as /run/… takes it
                _check_inputs(next(fn for fn in self.blocks.fns.values() if fn.fn and fn.api_name == name), _predict_body(raw))
            return False
        if _COMPONENT.fullmatch(route):
            body = _json_object(raw) if "json" in content_type else {}
            component, session = body.get("component_id"), body.get("session_hash")
            rendered = isinstance(session, str) and session in self.blocks.state_holder and type(component) is int and (
                component in self.blocks.state_holder[session])  # a component gr.render made for that session
            if "component_id" in body and (type(component) is not int or component not in self.blocks.blocks) and not rendered:
                raise _Refused(404, f"no Gradio component with component_id {component!r}", "not_found")
            return False
        predict = _PREDICT.fullmatch(route)
        assert predict is not None  # __call__ checks only these three routes; the other two returned above
        join, name = predict.groups()
        body = _predict_body(raw)
        fns = self.blocks.fns
        if body.session_hash and body.session_hash in self.blocks.state_holder:  # its own functions (gr.render)
            fns = self.blocks.state_holder[body.session_hash].blocks_config.fns
        if body.fn_index is not None:
            fn = fns.get(body.fn_index)
            if fn is None:
                raise _Refused(404, f"no Gradio function with fn_index {body.fn_index}; see /config", "not_found")
        elif join:
            raise _Refused(422, "bad request: fn_index is missing")
        else:
            fn = next((f for f in fns.values() if f.api_name == name), None)
            if fn is None:
                raise _Refused(404, f"no Gradio endpoint named {name!r}; see /gradio_api/info", "not_found")
        _check_inputs(fn, body)
        return not join

    def _check_arguments(self, name: str, body: dict) -> None:
        """:class:`_Refused` unless ``body`` names only parameters of the endpoint ``name`` and each one it needs."""
        if self._parameters is None:  # the app's functions are fixed once it is served
            info = self.blocks.get_api_info()["named_endpoints"]
            self._parameters = {n.lstrip("/"): e["parameters"] for n, e in info.items()}
        parameters = self._parameters.get(name, [])
        names = {p["parameter_name"] for p in parameters}
        unknown = sorted(set(body) - names - {"oauth_token"})
        missing = [p["parameter_name"] for p in parameters if not p.get("parameter_has_default") and p["parameter_name"] not in body]
        if unknown or missing:
            problem = f"no parameter {unknown[0]!r}" if unknown else f"{missing[0]!r} is missing"
            raise _Refused(422, f"bad request: {problem}; /{name} takes {', '.join(sorted(names)) or 'nothing'}")

    async def _answer(self, scope: Scope, receive: Receive, send: Send, box: list | None) -> None:
        """Run Gradio; a direct call's 500 is answered as :func:`_failure` says, and an escaping error never
        reaches the server (which would drop the connection)."""
        state: dict[str, Any] = {"started": False, "done": False, "held": None}

        async def sent(message: Message) -> None:
            if box is not None and message["type"] == "http.response.start" and message["status"] == 500:
                state["held"] = [message]  # Gradio's error: read it whole, then answer in our own words
                return
            if state["held"] is not None:
                state["held"].append(message)
                if message.get("more_body"):
                    return
                await _failure(b"".join(m.get("body", b"") for m in state["held"][1:]), box)(scope, receive, send)
                state["started"] = state["done"] = True
                return
            state["started"] = True
            state["done"] = message["type"] == "http.response.body" and not message.get("more_body")
            await send(message)

        try:
            await self.app(scope, receive, sent)
        except Exception as exc:  # noqa: BLE001 - the edge: logged, and answered here rather than by dropping the connection
            _logged(scope, exc)
            if not state["started"]:
                await error_response(500, _INTERNAL, "server_error")(scope, receive, send)
            elif not state["done"]:  # a stream cut short: end it, so the connection can carry the next request
                await send({"type": "http.response.body", "body": b"", "more_body": False})


_TRACED: set[tuple] = set()  # (method, path, error type) whose traceback this process has logged


def _logged(scope: Scope, exc: Exception) -> None:
    """Log an error escaping Gradio: with its traceback the first time for its route and type, in one line
    after that (a client repeating a bad call, ``/queue/data`` of a made-up session, must not flood the log)."""
    key = (scope.get("method"), scope.get("path"), type(exc).__name__)
    if key in _TRACED:
        _log.warning("Gradio failed on %s %s (%s: %s); traceback logged before", *key[:2], key[2], str(exc)[:200])
        return
    if len(_TRACED) < 1000:
        _TRACED.add(key)
    _log.error("Gradio failed on %s %s", key[0], key[1], exc_info=exc)


def _failure(body: bytes, box: list | None) -> JSONResponse:
    """The answer to a direct call Gradio failed with a 500 (``body`` its JSON): the status of the
    :class:`BotError` the function noted, a 422 for a ``gr.Error`` (an error meant for people), else a 500."""
    if box:
        status, kind, message, retry_after = box[0]
        return error_response(status, message, kind, {"Retry-After": str(retry_after)} if retry_after else None)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "title" in payload:
        return error_response(422, str(payload.get("error") or "bad request"))
    return error_response(500, _INTERNAL, "server_error")


async def _read(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that hands out ``body`` first, then what ``receive`` gives (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _json_object(raw: bytes) -> dict:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError too; RecursionError: nested too deep
        raise _Refused(422, "bad request: the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Refused(422, "bad request: the body must be a JSON object")
    return body


def _predict_body(raw: bytes):
    """``raw`` as Gradio's ``PredictBody``, or :class:`_Refused` naming what is wrong (never the input echoed)."""
    from gradio.data_classes import PredictBody
    from pydantic import ValidationError

    try:
        return PredictBody.model_validate(_json_object(raw))
    except ValidationError as exc:
        raise _Refused(422, "bad request: " + _problems(exc)) from None


def _problems(exc) -> str:
    """A pydantic (or FastAPI) validation error as ``where: what`` pairs (three at most), without its input,
    its URL or its model's name."""
    found = [f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    return "; ".join(found[:3])


async def gradio_bad_request(request, exc) -> JSONResponse:
    """A Gradio route's body that FastAPI could not read (``RequestValidationError``): a 422 in the API's shape."""
    return error_response(422, "bad request: " + _problems(exc))


def _check_inputs(fn, body) -> None:
    """:class:`_Refused` unless ``body`` holds a value for each of ``fn``'s inputs that its component takes,
    and the event data ``fn`` reads (a ``gr.LikeData`` …), as Gradio will read them."""
    from gradio.events import EventData
    from gradio.utils import get_type_hints
    from pydantic import ValidationError

    name = fn.api_name or f"fn_index {fn._id}"
    if len(body.data) < len(fn.inputs):
        raise _Refused(422, f"bad request: {name} takes {len(fn.inputs)} values in data, got {len(body.data)}")
    for i, block in enumerate(fn.inputs):
        model, value = getattr(block, "data_model", None), body.data[i]
        if block.stateful or i in fn.component_prop_inputs or model is None or value is None:
            continue
        try:
            model.model_validate(value, context={"validate_meta": True})
        except ValidationError as exc:
            raise _Refused(422, f"bad request: data[{i}] is no {type(block).__name__.lower()} value: {_problems(exc)}") from None
    for hint in get_type_hints(fn.fn).values() if fn.fn else ():
        if isinstance(hint, type) and issubclass(hint, EventData):
            try:
                hint(None, body.event_data)
            except (KeyError, TypeError, AttributeError, IndexError):
                raise _Refused(422, f"bad request: {name} handles an event; send its event_data") from None
