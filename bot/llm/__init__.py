"""The optional LLM answerer: a chat model (a local GGUF, an OpenAI-compatible endpoint or Ollama) writes the answer.

The model sees the retrieved passages numbered 1..k (``prompts/answer.txt``) and is
asked to cite them as [n] or refuse. Markers that point at no retrieved passage are
dropped; an answer left with no valid marker is treated as a refusal, because the
product never shows an uncited claim.

:mod:`bot.llm.answerer` streams the model's reply sentence by sentence; :mod:`bot.llm.checks`
decides which sentences are shown; :mod:`bot.llm.calls` talks to the model (the prompt's
passages, its failures as errors for people, the condensed question). The chat models
themselves are made by :mod:`bot.backends`.
"""

from bot.backends import make_chat_model
from bot.llm.answerer import LLMAnswerer
from bot.llm.calls import condense_question, format_passages
from bot.llm.checks import ANSWERS, SHARE, figures_left_out

__all__ = ["LLMAnswerer", "make_chat_model", "condense_question", "format_passages", "figures_left_out",
           "ANSWERS", "SHARE"]
