"""The article's own date: explicit calendar dates in metadata values, datelines and date lines at the top of a story.

A small set of regular expressions for the explicit calendar dates that newsrooms print (datelines, bylines,
"Published:" lines, <meta> values): "8 October 2024", "Tue 8 Oct 2024", "Oct. 14, 2024", "October 14 2024",
"2024-10-14" (also with a time), and "14/10/2024" or "10/14/2024" only when the order is unambiguous.
Dates without a year ("on Monday", "January 4"), relative dates and two-digit years are not article dates.

The date comes from the metadata (front matter, ``<meta>``, ``<time>``: :func:`parse_date`), else from the top
of the text (:func:`text_date`): a "Published:" line, a dateline ("TORONTO, 8 October 2024 — ...", "WASHINGTON
(AP) — Oct. 14, 2024"), a short date line ("Tue 8 Oct 2024 14.05 BST", "2024-10-14", "14/10/2024" when the order
is unambiguous), else an "Updated:" line, else a dateline without a year ("CHICAGO, Oct. 31 —") dated by the first full date
near it ("the quarter ended Sept. 30, 2024").

This is the date of the *article* (``Document.date``, ``YYYY-MM-DD``), found at load time. It is not
:mod:`rag.dates`, which resolves *relative* dates inside the text ("on Monday", "last week") against this
date when an answer is written.
"""

from __future__ import annotations

import re
from datetime import date as _date

from .lexicon import words as line_words
from .line_shapes import END_PUNCT, Line, is_paragraph

__all__ = ["DATELINE_PREFIX", "parse_date", "dateline_date", "text_date"]


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ]
    )
    for m in names
}  # fmt: skip
_MONTH_RE = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_ISO_RE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MDY_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_NUMERIC_RE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/.-]?\d)")
_WEEKDAY_RE = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?"
_DATE_LABEL_RE = re.compile(
    r"^\W{0,3}(published|posted|date|dated|first published|publication date|released|issued|updated|last updated|"
    r"modified|last modified|revised)(?:\s+(?:on|at))?\s*[:\-–—|]?\s*(.+)$",
    re.I,
)
_UPDATE_LABELS = {"updated", "last updated", "modified", "last modified", "revised"}
# a dateline: an upper-case place, optionally ", Region" and "(Agency)", then a separator, then the date
_DATELINE_RE = re.compile(
    r"^[A-Z][A-Z.'’ -]*[A-Z.](?:,\s*[A-Z][\w.'’ -]{0,30}?)?\s*(?:\([^()\n]{1,30}\))?\s*[,:—–-]*\s*"
    rf"(?:(?i:{_WEEKDAY_RE})\s*)?(?=\d|(?i:{_MONTH_RE}))",
)


# the dateline opening a story, left out of a title made from its first sentence
DATELINE_PREFIX = re.compile(r"^[A-Z][A-Z.'’ -]*[A-Z.](?:,[^—–\n]{1,40}?)?\s*(?:\([^()\n]{1,30}\))?\s*[—–]\s*(?=\S)")


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return _date(y, m, d).isoformat() if 1800 <= y <= 2200 else None
    except ValueError:
        return None


def _date_matches(value: str) -> list[tuple[int, int, str]]:
    """Every full calendar date in ``value`` as ``(start, end, "YYYY-MM-DD")``, leftmost first."""
    found: list[tuple[int, int, str | None]] = []
    for m in _ISO_RE.finditer(value):
        found.append((m.start(), m.end(), _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
    for m in _MDY_RE.finditer(value):
        month = _MONTHS[m.group(1).lower()]
        found.append((m.start(), m.end(), _valid(int(m.group(3)), month, int(m.group(2)))))
    for m in _DMY_RE.finditer(value):
        month = _MONTHS[m.group(2).lower()]
        found.append((m.start(), m.end(), _valid(int(m.group(3)), month, int(m.group(1)))))
    for m in _NUMERIC_RE.finditer(value):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if a > 12 >= b or a == b:
            iso = _valid(y, b, a)  # 14/10/2024: day first
        elif b > 12 >= a:
            iso = _valid(y, a, b)  # 10/14/2024: month first
        else:
            iso = None  # 05/06/2024: May 6 or 5 June, nobody can tell
        found.append((m.start(), m.end(), iso))
    return sorted((s, e, iso) for s, e, iso in found if iso)


def parse_date(value: str) -> str | None:
    """First full calendar date in ``value`` as ``YYYY-MM-DD``, else None."""
    found = _date_matches(value or "")
    return found[0][2] if found else None


def dateline_date(line: str) -> str | None:
    """The date of a dateline or date line: "TORONTO, 8 October 2024 — ...", "WASHINGTON (AP) — Oct. 14, 2024",
    "Oct. 14, 2024 — ...", "Tue 8 Oct 2024 14.05 BST", "By Jane Smith | 2024-10-14". A date inside a sentence
    ("The bank said on 8 October 2024 that ...") is an event, not the article's date."""
    head = line[:160]
    found = _date_matches(head)
    if not found:
        return None
    start, end, iso = found[0]
    m = _DATELINE_RE.match(head)
    if m and m.end() == start:
        return iso  # TORONTO, 8 October 2024 — / WASHINGTON (AP) — Oct. 14, 2024
    lead = re.match(rf"(?:{_WEEKDAY_RE}\s*)?", head, re.I)
    if lead and lead.end() == start and re.match(r"\s*(?:$|[—–|·•,-]|\d{1,2}[:.]\d{2})", head[end:]):
        return iso  # Oct. 14, 2024 — The ... / Tue 8 Oct 2024 14.05 BST
    if not END_PUNCT.search(line.strip()) and len(line_words(line)) <= 10:
        return iso  # a short date line: "By Jane Smith | 8 October 2024", "Reporting from Tokyo, 14/10/2024"
    return None


_YEARLESS_RE = re.compile(rf"({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s+\d{{4}})", re.I)


def _yearless_dateline(line: str, dated: list[str]) -> str | None:
    """An AP-style dateline without a year ("CHICAGO, Oct. 31 — ...") takes the year that puts it within three
    months of the first full date near the top of the story ("the quarter ended Sept. 30, 2024"); else none."""
    m = _DATELINE_RE.match(line[:160])
    ym = next((x for x in _YEARLESS_RE.finditer(line, 1, m.end() + 8)), None) if m else None
    if not ym or not dated or not re.match(r"\s*[—–-]", line[ym.end():]):
        return None
    first = _date.fromisoformat(dated[0])
    month, day = _MONTHS[ym.group(1).lower()], int(ym.group(2))
    options = [iso for y in (first.year - 1, first.year, first.year + 1) if (iso := _valid(y, month, day))]
    best = min(options, key=lambda iso: abs((_date.fromisoformat(iso) - first).days), default=None)
    return best if best and abs((_date.fromisoformat(best) - first).days) <= 92 else None


def text_date(entries: list[Line], keep: list[bool]) -> str | None:
    """The article's date from the top of the text: a "Published:" line, else a dateline or a short date line,
    else an "Updated:" line. Looks at the first 15 lines, up to the second paragraph."""
    published = dateline = updated = None
    paragraphs = 0
    for i, ln in enumerate(entries[:15]):
        if not keep[i]:
            continue
        lm = _DATE_LABEL_RE.match(ln.core)
        d = parse_date(lm.group(2)) if lm else None
        if d:
            if lm.group(1).lower() in _UPDATE_LABELS:
                updated = updated or d
            else:
                published = published or d
                break
        elif dateline is None:
            dateline = dateline_date(ln.core)
        if is_paragraph(ln.core, ln.n):
            paragraphs += 1
            if paragraphs >= 2:
                break
    if not (published or dateline or updated):
        top = [ln.core for i, ln in enumerate(entries[:15]) if keep[i]]
        dated = [iso for ln in top for _, _, iso in _date_matches(ln)]
        dateline = next((d for ln in top if (d := _yearless_dateline(ln, dated))), None)
    return published or dateline or updated
