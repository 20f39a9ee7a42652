"""The extractive answerer: quotes the article's own sentences, with a fitted ranker and refusal model.

One role per module (``docs/architecture.md`` shows how a question moves through them):

* :mod:`~bot.extractive.lexicon`: every English-shape rule (names, numbers, dates, speech, negation);
* :mod:`~bot.extractive.question`: the question, parsed once (:class:`~bot.extractive.question.AnswerType`);
* :mod:`~bot.extractive.words`: WordLlama word vectors for soft matches;
* :mod:`~bot.extractive.article`: one article's tables (:class:`~bot.extractive.article.ArticleIndex`);
* :mod:`~bot.extractive.cache`: those indexes per process, reloaded when the store changes;
* :mod:`~bot.extractive.features`: the feature registry and the sentence and token features;
* :mod:`~bot.extractive.ranking`: prefilter, candidates, ranker;
* :mod:`~bot.extractive.answerability`: the evidence as a whole, answer or refuse;
* :mod:`~bot.extractive.weights`: the fitted weights, shipped as ``weights.json``;
* :mod:`~bot.extractive.quote`: what to quote, cut to the room left;
* :mod:`~bot.extractive.answerer`: :class:`~bot.extractive.answerer.ExtractiveAnswerer`, tying them together.
"""

from bot.extractive.answerer import ExtractiveAnswerer
from bot.extractive.cache import EvidenceCache

__all__ = ["EvidenceCache", "ExtractiveAnswerer"]
