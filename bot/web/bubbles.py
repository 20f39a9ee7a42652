"""What the chat's bubbles hold: text escaped to show literally, the sources as HTML, the guard's note.

Every chat bubble is HTML-escaped (the Chatbot renders HTML, Markdown and LaTeX off), so an article or a
question can put no markup in a reader's browser; only the sources' own HTML (built here from escaped
text) is markup."""

from __future__ import annotations

import html
import html.entities
import re

import gradio as gr

from bot.models import Answer, Citation
from bot.web.chat_completions import message_text

__all__ = ["CSS", "NOTE", "guard_note", "literal", "said", "shown", "sources_html"]

NOTE = "Answers only from the article, and every claim links to the passage it came from. If the article doesn't say, the bot tells you."
CSS = """
.gradio-container { max-width: 880px !important; margin: 0 auto !important; }
#chat mark { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 2px; }
#chat blockquote { margin: 0.3em 0 0.8em; border-left: 3px solid #d0d7de; padding-left: 0.7em; }
#chat .message-content .md { white-space: pre-wrap; line-height: 1.6; }
.bot-note { font-size: 0.85em; opacity: 0.75; }
@media (max-width: 600px) { .gradio-container { padding: 4px !important; } }
"""


def _passage_html(c: Citation) -> str:
    """The cited passage, HTML-escaped, with the cited sentences in <mark>."""
    text, pos, parts = c.text, 0, []
    for start, end in sorted(c.highlights):
        s, e = max(start - c.start, pos), min(end - c.start, len(text))
        if s >= e:
            continue
        parts += [html.escape(text[pos:s]), f"<mark>{html.escape(text[s:e])}</mark>"]
        pos = e
    parts.append(html.escape(text[pos:]))
    return "".join(parts).replace("\n\n", "<br><br>")


def sources_html(answer: Answer, related: bool = False) -> str:
    """One entry per [n]: the article title and the passage with the cited sentence highlighted
    (``related``: the closest passage, which no marker points at)."""
    return "".join(
        f"<p><strong>{'' if related else f'[{c.n}] '}{html.escape(c.title)}</strong></p><blockquote>{_passage_html(c)}</blockquote>"
        for c in (answer.related if related else answer.citations)
    )


#: an "&" that a browser (and html.unescape) would read as the start of a character reference
_REFERENCE = re.compile("&(?=#|" + "|".join(re.escape(n) for n in sorted(html.entities.html5, key=len, reverse=True)) + ")")


def shown(text: str) -> str:
    """``text`` as a chat bubble holds it, to show literally (see :func:`said`): every "<" and
    every "&" that would start a character reference are escaped, nothing else, so what Gradio's
    copy button copies is the text itself ("AT&T", "3 > 2") but for those rare characters."""
    return _REFERENCE.sub("&amp;", text).replace("<", "&lt;")


def said(message: dict) -> str:
    """What the user typed into the bubble ``message``: :func:`shown` undone."""
    return html.unescape(message_text(message.get("content")))


def guard_note(answer: Answer) -> list:
    """For an LLM answer, a collapsed note of what the grounding guard dropped, or that the quote stands in."""
    guard = answer.guard or {}
    if answer.fallback:
        text = "The model's answer was not supported by the article's passages, so the article is quoted instead."
    elif guard.get("dropped"):  # the reasons only: a sentence the guard rejected is never shown to a reader
        count = len(guard["dropped"])
        text = f"{count} sentence{'s' if count > 1 else ''} of the model's answer left out: " + "; ".join(
            dict.fromkeys(d["reason"] for d in guard["dropped"])) + "."
    else:
        return []
    return [gr.ChatMessage(content=shown(text), metadata={"title": "🛡️ Checked against the article", "status": "done"})]


def literal(text: str) -> str:
    """``text`` on one line for a Markdown component to show as is: every ASCII punctuation mark
    backslash-escaped, so a title from a link (``?title=``) can make no link, image or markup."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))
