"""What the user hands in, checked before anything else runs: the question text and upload file names."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .errors import FileError, QuestionError

__all__ = ["check_question", "clean_text", "upload_name"]


def check_question(question: Any, max_chars: int) -> str:
    """The question as one line of printable text, or a QuestionError saying what to do."""
    if not isinstance(question, str):
        raise QuestionError(f"The question must be text, not {type(question).__name__}.",
                            fix="Pass the question as a string.")
    cleaned = clean_text(question).strip()
    if not cleaned:
        raise QuestionError("The question is empty.", fix="Type a question about the articles.")
    if len(question) > max_chars:
        raise QuestionError(
            f"The question has {len(question):,} characters; the limit is {max_chars:,}.",
            fix="Shorten it, or raise RAG_MAX_QUESTION_CHARS.",
        )
    return " ".join(cleaned.split())


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")


def clean_text(text: str) -> str:
    """Drop terminal escape codes and invisible characters; control characters and odd spaces (no-break,
    vertical tab, line separator) become plain spaces so the words around them stay apart."""
    out = []
    for ch in _ANSI.sub(" ", text):
        if ch.isprintable():
            out.append(ch)
        elif unicodedata.category(ch)[0] in "Z" or unicodedata.category(ch) == "Cc":
            out.append(" ")
    return "".join(out)


def upload_name(name: Any) -> str:
    """The base name of an uploaded file (any folder part, POSIX or Windows, is dropped)."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", ".."):
        raise FileError(f"{str(name)[:80]!r} is not a usable file name.", path=str(name)[:80],
                        fix="Give the file a name such as article.txt.")
    return base
