"""Prompt texts live as files in ``prompts/``; this loads them by name."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .errors import ConfigurationError

__all__ = ["load_prompt", "render", "PROMPTS_DIR"]

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise ConfigurationError(f"Prompt {name!r} is missing ({path}).", fix="Restore it from the repository.")
    return path.read_text(encoding="utf-8").strip()


def render(name: str, **values: str) -> str:
    """Fill ``{name}`` fields in one pass, so text inserted for one field is never re-read as a field."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), load_prompt(name))
