"""The return shape of the chat page's ``/ask`` endpoint, as typed dicts: Gradio builds the JSON schema that
``Client.view_api()`` and the page's "Use via API" panel show from these (``Answer.to_dict()`` is this shape)."""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["AskAnswer", "AskCitation", "AskPassage"]


class AskCitation(TypedDict):
    """One citation: ``quote == original_text(source)[start:end]``; ``n`` is its ``[n]`` marker in the text."""

    n: int
    source: str
    title: str
    chunk_id: str
    quote: str
    start: int
    end: int
    date: str | None


class AskPassage(TypedDict):
    """One retrieved passage (chunk) with its offsets in the original file and its retrieval scores."""

    chunk_id: str
    source: str
    title: str
    date: str | None
    start: int
    end: int
    text: str
    rank: int
    fused_score: float
    dense_score: float | None
    lexical_score: float | None


class AskAnswer(TypedDict):
    """``Answer.to_dict()``: the verified answer. ``abstained`` means no citations and no ``[n]`` in ``text``;
    ``metadata`` holds backend, model, timings and how the answer was made (keys vary by path)."""

    question: str
    text: str
    abstained: bool
    citations: list[AskCitation]
    contexts: list[AskPassage]
    metadata: dict[str, Any]
