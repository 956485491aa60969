"""Cited question answering over news articles.

    from rag import Pipeline, Answer, Citation
    p = Pipeline()
    a = p.ask("When was the NATO-Russia Council meeting scheduled?")

Everything public is listed in ``__all__``; modules starting with ``_`` are private.
"""

from __future__ import annotations

import threading

from .errors import (
    BackendError,
    ConfigurationError,
    FileError,
    IndexCorruptError,
    LLMError,
    QuestionError,
    RagError,
    UserInputError,
    VectorStoreError,
)
from .pipeline import Pipeline
from .settings import Settings, get_settings
from .trace import AnswerTrace
from .types import Answer, Chunk, Citation, Delta, Document, Final, IngestReport, Passage, StreamEvent

__all__ = [
    "Pipeline", "Answer", "AnswerTrace", "Citation", "Passage", "Chunk", "Document", "IngestReport",
    "StreamEvent", "Delta", "Final",
    "Settings", "get_settings", "ask", "default_pipeline",
    "RagError", "UserInputError", "QuestionError", "FileError", "ConfigurationError", "BackendError",
    "LLMError", "VectorStoreError", "IndexCorruptError",
]

__version__ = "0.1.0"

_default: Pipeline | None = None
_lock = threading.Lock()


def default_pipeline() -> Pipeline:
    """The shared Pipeline behind :func:`ask` (settings from the environment)."""
    global _default
    with _lock:
        if _default is None:
            _default = Pipeline()
        return _default


def ask(question: str, history=None) -> Answer:
    """``rag.ask("...")``: ask the default Pipeline."""
    return default_pipeline().ask(question, history)
