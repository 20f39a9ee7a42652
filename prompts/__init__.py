"""Prompt files, rendered strictly: a missing or unknown variable is an error, never a silent blank."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

__all__ = ["render", "names", "PROMPTS_DIR"]

PROMPTS_DIR = Path(__file__).resolve().parent


@cache
def _template(name: str) -> string.Template:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.is_file():
        raise KeyError(f"no prompt named {name!r} in {PROMPTS_DIR}")
    return string.Template(path.read_text(encoding="utf-8"))


def names() -> list[str]:
    """Every prompt shipped in this folder."""
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))


def render(name: str, **variables: str) -> str:
    """Fill ``$variables`` of prompt ``name``; raise if one is missing or unused."""
    template = _template(name)
    wanted = {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)} - {None}
    missing, extra = wanted - variables.keys(), variables.keys() - wanted
    if missing or extra:
        raise KeyError(f"prompt {name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return template.substitute(variables)
