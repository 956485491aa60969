"""HTML for the chat page: answer bubbles, source cards, abstentions, errors, upload reports.

Everything that came from outside (article text, titles, file names, questions, error messages) goes through
:func:`html.escape` before it is put in HTML, so nothing from an article or a question is ever executed. Only
the markup built here (a fixed set of tags and classes) reaches the browser unescaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from rag import Answer, Citation

__all__ = [
    "esc",
    "answer_html",
    "draft_html",
    "error_html",
    "question_html",
    "sources_html",
    "source_card",
    "context_bounds",
    "footer_html",
    "delink",
    "EMPTY_SOURCES",
]

_MARKER = re.compile(r"\[(\d+)\]")
_LINK = re.compile(r'<a class="cite" href="#source-(\d+)"[^>]*>\[(\d+)\]</a>')

EMPTY_SOURCES = (
    '<div class="rag-sources-empty">Sources for the answer appear here: the exact sentence each [n] points to, '
    "highlighted inside its paragraph.</div>"
)


def esc(value: Any) -> str:
    """HTML-escape anything (quotes too), so it can go into text or attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def _paragraphs(text: str) -> str:
    """Escaped text with line breaks kept."""
    return "<br>".join(esc(line) for line in text.split("\n"))


def question_html(question: str) -> str:
    return f'<div class="rag-question">{_paragraphs(question)}</div>'


def answer_text_html(answer: Answer) -> str:
    """The answer text, escaped, with each [n] that has a citation turned into a link to its card."""
    cited = {c.n for c in answer.citations}
    out, pos = [], 0
    text = answer.text
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        before = text[pos : m.start()]
        out.append(_paragraphs(before.rstrip(" ") if n in cited else before))  # "Kyiv[1]." reads better
        if n in cited:
            out.append(f'<a class="cite" href="#source-{n}" title="Show source {n}">[{n}]</a>')
        else:
            out.append(esc(m.group(0)))
        pos = m.end()
    out.append(_paragraphs(text[pos:]))
    return "".join(out)


def footer_html(answer: Answer, seconds: float | None = None) -> str:
    meta = answer.metadata or {}
    parts = [f"backend {esc(meta.get('backend', '?'))}", f"model {esc(meta.get('model', '?'))}"]
    if not answer.abstained:
        k = len(answer.citations)
        parts.insert(0, f'<span class="rag-ok">✓ {k} verified source{"s" if k != 1 else ""}</span>')
    if answer.abstained:
        parts.append("no answer")
    elif meta.get("extractive"):
        parts.append('<span title="the model\'s draft did not survive verification, or no model is used: '
                     'the answer is made of sentences quoted from the articles">extractive</span>')
    else:
        parts.append("LLM answer")
    if seconds is None and meta.get("total_ms") is not None:
        seconds = float(meta["total_ms"]) / 1000
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    return f'<div class="rag-foot">{" · ".join(parts)}</div>'


def answer_html(answer: Answer, seconds: float | None = None) -> str:
    """The verified answer bubble (or the grey abstention box)."""
    if answer.abstained:
        body = (
            '<div class="rag-abstain"><div class="rag-abstain-head">No answer in the articles</div>'
            f'<div class="rag-abstain-text">{_paragraphs(answer.text)}</div></div>'
        )
    else:
        body = f'<div class="rag-answer">{answer_text_html(answer)}</div>'
    return body + footer_html(answer, seconds)


def draft_html(draft: str, status: str = "") -> str:
    """The unverified draft while the model writes: italic, grey, clearly labelled."""
    label = esc(status or "Draft · verifying citations…")
    text = f'<div class="rag-draft-text">{_paragraphs(draft)}</div>' if draft.strip() else ""
    badge = f'<div class="rag-draft-badge"><span class="rag-spinner"></span>{label}</div>'
    return f'<div class="rag-draft">{badge}{text}</div>'


def error_html(message: str) -> str:
    return (
        '<div class="rag-error"><div class="rag-error-head">Something went wrong</div>'
        f'<div class="rag-error-text">{_paragraphs(message)}</div></div>'
    )


def delink(html_text: str) -> str:
    """Turn the [n] links of an earlier answer into plain markers (the cards now belong to a newer answer)."""
    return _LINK.sub(lambda m: f'<span class="cite cite-old">[{m.group(2)}]</span>', html_text)


# ------------------------------------------------------------------------------------------------ source cards


def _snap_left(text: str, pos: int, lo: int) -> int:
    """Move ``pos`` right to the start of a word (never below ``lo``)."""
    if pos <= lo:
        return lo
    space = text.find(" ", pos)
    return space + 1 if 0 <= space < pos + 30 else pos


def _snap_right(text: str, pos: int, hi: int) -> int:
    if pos >= hi:
        return hi
    space = text.rfind(" ", pos - 30, pos)
    return space if space > 0 else pos


def context_bounds(text: str, start: int, end: int, max_chars: int = 700) -> tuple[int, int]:
    """The paragraph around ``text[start:end]`` (line breaks bound paragraphs), trimmed to about ``max_chars``
    around the span at word boundaries."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    if hi == -1:
        hi = len(text)
    budget = max(0, max_chars - (end - start))
    before, after = start - lo, hi - end
    if before + after > budget:
        half = budget // 2
        keep_before = min(before, max(half, budget - after))
        keep_after = min(after, budget - keep_before)
        lo = _snap_left(text, start - keep_before, lo) if keep_before < before else lo
        hi = _snap_right(text, end + keep_after, hi) if keep_after < after else hi
    return lo, hi


def source_card(citation: Citation, original: str | None) -> str:
    """One card: number, title, date, file name, and the quote highlighted inside its paragraph."""
    c = citation
    if original is not None and original[c.start : c.end] == c.quote:
        lo, hi = context_bounds(original, c.start, c.end)
        before = original[lo : c.start]
        after = original[c.end : hi]
        lead = "…" if lo > 0 and original[lo - 1] != "\n" else ""
        tail = "…" if hi < len(original) and original[hi] != "\n" else ""
        body = f"{lead}{_paragraphs(before)}<mark>{_paragraphs(c.quote)}</mark>{_paragraphs(after)}{tail}"
    else:  # the file changed or vanished since the answer: show the quote alone
        body = f"<mark>{_paragraphs(c.quote)}</mark>"
    meta = [f'<span class="rag-card-file">{esc(c.source)}</span>']
    if c.date:
        meta.insert(0, f'<span class="rag-card-date">{esc(c.date)}</span>')
    meta.append(f'<span class="rag-card-span">chars {c.start}–{c.end}</span>')
    return (
        f'<article class="rag-card" id="source-{c.n}" data-source="{esc(c.source)}" data-start="{c.start}" '
        f'data-end="{c.end}">'
        f'<header><span class="rag-card-n">{c.n}</span>'
        f'<div class="rag-card-head"><div class="rag-card-title">{esc(c.title or c.source)}</div>'
        f'<div class="rag-card-meta">{" · ".join(meta)}</div></div></header>'
        f'<blockquote class="rag-card-context">{body}</blockquote></article>'
    )


def sources_html(answer: Answer | None, original_text: Callable[[str], str]) -> str:
    """The cards for the cited sources of ``answer`` (none for an abstention)."""
    if answer is None:
        return EMPTY_SOURCES
    if answer.abstained or not answer.citations:
        return (
            '<div class="rag-sources-none">No sources: the articles do not answer this question, so nothing is '
            "cited.</div>"
        )
    cache: dict[str, str | None] = {}
    cards = []
    for c in answer.citations:
        if c.source not in cache:
            try:
                cache[c.source] = original_text(c.source)
            except Exception:  # a missing file must not hide the other cards
                cache[c.source] = None
        cards.append(source_card(c, cache[c.source]))
    n = len(answer.citations)
    head = f'<div class="rag-sources-head">{n} cited source{"s" if n != 1 else ""}</div>'
    return head + "".join(cards)
