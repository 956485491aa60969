"""Relative dates inside articles ("on Monday", "last week", "next month", "this year") resolved against the
publication date of the article they come from, so answers about "when" carry absolute dates. A plain weekday is
the last one on or before that date, unless its clause is about the future ("will be without their captain for
Saturday's final": the next Saturday).

The publication date itself is found when the file is loaded, by :mod:`rag.article_dates` (explicit calendar
dates in metadata and datelines); this module only works at answer time, on the cited sentences."""

from __future__ import annotations

import datetime as dt
import re

from .sentences import split_after_markers
from .types import Citation

__all__ = ["resolve_relative", "annotate_relative_dates"]

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_PATTERN = re.compile(
    r"\b(?:(?P<mod>next|last|this|on)\s+)?(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<rel>today|yesterday|tomorrow)\b"
    r"|\b(?P<mod2>next|last|this)\s+(?P<unit>week|month|year)\b",
    re.IGNORECASE,
)
_DATE_FOLLOWS = re.compile(r",?\s+(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[A-Z][a-z]{2}|[A-Z][a-z]{2,8}\.?\s+\d{1,2}\b)")


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def resolve_relative(phrase: str, published: str, future: bool = False) -> str | None:
    """The absolute date (or period) that ``phrase`` means in an article published on ``published`` (ISO).
    ``future``: the phrase belongs to a clause about what will happen ("will be without their captain for
    Saturday's final"), so a plain weekday is the next one on or after the date, not the last one."""
    try:
        base = dt.date.fromisoformat(published[:10])
    except (TypeError, ValueError):
        return None
    m = _PATTERN.fullmatch(phrase.strip())
    if not m:
        return None
    if m.group("day"):
        target = _WEEKDAYS.index(m.group("day").lower())
        mod = (m.group("mod") or "").lower()
        if mod == "next":
            delta = (target - base.weekday()) % 7 or 7
            return _fmt(base + dt.timedelta(days=delta))
        if mod == "this":
            return _fmt(base + dt.timedelta(days=target - base.weekday()))
        if future and mod != "last":
            return _fmt(base + dt.timedelta(days=(target - base.weekday()) % 7))
        # plain "Monday" / "on Monday" / "last Monday" in news copy: the most recent one on or before the date
        delta = (base.weekday() - target) % 7
        if mod == "last" and delta == 0:
            delta = 7
        return _fmt(base - dt.timedelta(days=delta))
    if m.group("rel"):
        shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[m.group("rel").lower()]
        return _fmt(base + dt.timedelta(days=shift))
    mod, unit = m.group("mod2").lower(), m.group("unit").lower()
    if unit == "year":
        return str(base.year + {"next": 1, "last": -1, "this": 0}[mod])
    if unit == "month":
        month = base.month + {"next": 1, "last": -1, "this": 0}[mod]
        year = base.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        return dt.date(year, month, 1).strftime("%B %Y")
    start = base - dt.timedelta(days=base.weekday()) + dt.timedelta(weeks={"next": 1, "last": -1, "this": 0}[mod])
    return f"the week of {_fmt(start)}"


def _future_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans of the weekday words of ``sentence`` whose clause is in the future: the verb they hang from
    has "will"/"shall" ("will be without their captain for Saturday's final"), unlike "an injury sustained in
    training on Monday" in the same sentence."""
    if not re.search(r"\b(?:will|shall|'ll|won't)\b", sentence, re.IGNORECASE):
        return []
    from .text import analyse

    a = analyse(sentence)
    toks = a.tokens
    out = []
    for i, t in enumerate(toks):
        if t.text.lower() not in _WEEKDAYS:
            continue
        j, seen = i, 0
        while toks[j].pos not in ("VERB", "AUX") and toks[j].head != j and seen < 8:
            j, seen = toks[j].head, seen + 1
        if any(u.head == j and u.dep == "aux" and u.lemma in ("will", "shall") for u in toks) or (
                toks[j].lemma in ("will", "shall")):
            out.append((t.start, t.start + len(t.text)))
    return out


def annotate_relative_dates(text: str, citations: list[Citation]) -> str:
    """Add the absolute date after each relative date in a sentence whose citation has a publication date:
    ``"Scholz visited Kyiv on Monday [1]."`` → ``"Scholz visited Kyiv on Monday (2 December 2024) [1]."``"""
    dated = {c.n: c.date for c in citations if c.date}
    if not dated:
        return text
    out = []
    for sentence in split_after_markers(text):
        m = re.search(r"\[(\d+)\]", sentence)
        date = dated.get(int(m.group(1))) if m else None
        if date:
            future_at = _future_spans(sentence)

            def repl(match: re.Match) -> str:
                if match.group("day") and _DATE_FOLLOWS.match(match.string, match.end()):
                    return match.group(0)  # "on Sunday, 1 June 2025" already says which Sunday
                future = any(a < match.end() and match.start() < b for a, b in future_at)
                resolved = resolve_relative(match.group(0), date, future=future)
                return f"{match.group(0)} ({resolved})" if resolved else match.group(0)

            head, sep, tail = sentence.partition(m.group(0))
            sentence = _PATTERN.sub(repl, head) + sep + tail
        out.append(sentence)
    return " ".join(out)
