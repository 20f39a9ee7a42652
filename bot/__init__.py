"""Answering questions about news articles with cited passages.

Import :class:`bot.chain.NewsBot` for the bot itself; this package root stays light.
The errors meant for users live in :mod:`index.errors`, the lowest layer, which both
``index`` and ``bot`` import.
"""
