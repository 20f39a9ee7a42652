"""Answering questions about news articles with cited passages.

Import :class:`bot.chain.NewsBot` for the bot itself; this package root stays light
so that ``index`` can use :mod:`bot.errors` without loading the chain.
"""

