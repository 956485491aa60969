"""The draft stage: stream the chat model's reply to the answer prompt, yielding ``Delta`` events as it writes.

The draft is never shown as the answer; :mod:`rag.verification` decides what of it survives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from .errors import LLMError, RagError
from .types import Delta

__all__ = ["Draft", "stream_draft"]


@dataclass(frozen=True)
class Draft:
    text: str
    cut_at_token_limit: bool  # the model hit RAG_MAX_ANSWER_TOKENS: the last sentence is unfinished
    first_token_ms: float | None
    llm_ms: float


def stream_draft(chat_model: Any, messages: list[tuple[str, str]], *, started: float, needs_finish: bool,
                 endpoint: str, to_error: Callable[[Exception], LLMError]) -> Generator[Delta, None, Draft]:
    """Yield the model's text as ``Delta`` events; return the whole ``Draft`` (``yield from`` gives it).

    ``needs_finish``: the backend always ends a stream with a finish reason (OpenAI-style servers), so a stream
    without one was cut by the server. ``to_error`` maps a backend exception to the project's ``LLMError``."""
    t = time.perf_counter()
    parts: list[str] = []
    finish = None
    first_ms = None
    try:
        for chunk in chat_model.stream(messages):
            finish = (getattr(chunk, "response_metadata", None) or {}).get("finish_reason") or finish
            delta = str(chunk.content)
            if delta:
                if not parts:
                    first_ms = _ms(started)
                parts.append(delta)
                yield Delta(delta)
    except RagError:
        raise
    except Exception as exc:
        raise to_error(exc) from None
    if finish is None and needs_finish:
        raise LLMError(f"The LLM at {endpoint} closed the stream before finishing its reply.",
                       fix="Retry; if it persists, check the server.")
    return Draft("".join(parts), finish == "length", first_ms, _ms(t))


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
