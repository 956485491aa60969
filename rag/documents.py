"""Load files into :class:`~rag.types.Document`: read safely, pick the content lines, split sentences.

The invariant everything downstream relies on
---------------------------------------------
``Document.text`` is the *original text* and every span in ``segments`` and ``sentences`` indexes into
it, so ``doc.text[s:e]`` is always the real characters (citations quote it verbatim).

- ``.txt``, ``.md``, ``.markdown``: ``text`` is the file content exactly (a UTF-8 BOM is removed).
- ``.html``, ``.htm``: ``text`` is the *visible text* of the page (:mod:`rag.html_text`).

This module composes the stages, each in its own module:

- :mod:`rag.files` finds the files and reads them, refusing what is not UTF-8 text;
- :mod:`rag.html_text` turns an HTML page into its visible text, title and date;
- :mod:`rag.cleaning` chooses the content lines (``segments``), the title and the date, judging each line by its
  shape (:mod:`rag.line_shapes`); it never edits ``text``;
- :mod:`rag.article_dates` reads the article's date from metadata, datelines and date lines;
- :mod:`rag.sentences` splits the content lines into ``sentences``.

The names other modules import from here (``iter_files``, ``read_file``, ``html_to_text``, ``split_sentences``,
``ends_with_abbreviation``, ``SUPPORTED_SUFFIXES``) are re-exported so callers need not know the stages.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from .article_dates import DATELINE_PREFIX
from .cleaning import clean
from .errors import FileError
from .files import HTML_SUFFIXES, MARKDOWN_SUFFIXES, SUPPORTED_SUFFIXES, iter_files, read_file
from .html_text import html_to_text, parse_html
from .line_shapes import squash
from .sentences import ends_with_abbreviation, split_sentences
from .types import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "iter_files",
    "read_file",
    "parse_document",
    "load_document",
    "load_documents",
    "split_sentences",
    "ends_with_abbreviation",
    "html_to_text",
]


def parse_document(source: str, raw: str, *, suffix: str = ".txt", path: str = "") -> Document:
    """Build a :class:`Document` from already-read text (see the module docstring for what ``text`` is)."""
    suffix = (suffix or ".txt").lower()
    if not suffix.startswith("."):
        suffix = "." + suffix
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    html_title, html_date, link_starts, row_starts = "", None, frozenset(), frozenset()
    if suffix in HTML_SUFFIXES:
        text, html_title, html_date, link_starts, row_starts = parse_html(raw)
    else:
        text = raw
    title, date, segments = clean(
        text,
        markdown=suffix in MARKDOWN_SUFFIXES,
        html_title=html_title,
        html_date=html_date,
        link_starts=link_starts,
        row_starts=row_starts,
    )
    sentences: list[tuple[int, int]] = []
    for s, e in segments:
        sentences.extend(split_sentences(text, s, e))
    if not sentences:
        raise FileError(
            f"{path or source!r} has no readable text left after removing page boilerplate.",
            path=path or source,
            fix="Check that the file holds article text (for HTML, that the text is not built by JavaScript).",
        )
    if not title:
        first = text[sentences[0][0] : sentences[0][1]]
        title = _shorten(DATELINE_PREFIX.sub("", first, count=1) or first) or Path(source).stem
    return Document(
        source=source,
        title=title,
        date=date,
        text=text,
        segments=tuple(segments),
        sentences=tuple(sentences),
        path=path,
        hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _shorten(s: str, limit: int = 90) -> str:
    s = squash(s)
    if len(s) <= limit:
        return s
    cut = s[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-")
    return cut + "…"


def load_document(path: str | Path, *, max_bytes: int = 5_000_000) -> Document:
    """Read and parse one file; ``source`` is the file name only."""
    p = Path(path)
    raw = read_file(p, max_bytes)
    return parse_document(p.name, raw, suffix=p.suffix.lower(), path=str(p))


def load_documents(
    paths: str | Path | Iterable[str | Path], *, max_bytes: int = 5_000_000
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Load every file under ``paths``. Returns ``(documents, refused)`` where ``refused`` holds
    ``(path, reason)`` pairs; one bad file never stops the others."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    docs: list[Document] = []
    refused: list[tuple[str, str]] = []
    files: list[Path] = []
    for item in paths:
        try:
            files.extend(iter_files([item]))
        except FileError as e:
            refused.append((str(item), str(e)))
    seen: set[Path] = set()
    for f in files:
        if f in seen:
            continue
        seen.add(f)
        try:
            docs.append(load_document(f, max_bytes=max_bytes))
        except FileError as e:
            refused.append((str(f), str(e)))
    return docs, refused
