"""Choose the content lines of a document, its title and its date, without editing its text.

Cleaning keeps every line that states something (sentences, one-sentence paragraphs, "label: value" lines,
bullet items, table rows, short factual lines) and drops only page chrome, judged by the shape of the line and
never by its topic. Besides the chrome found line by line (:func:`rag.line_shapes.is_chrome`), it drops what
only the lines around tell apart:

- navigation before the story and after it: single words and runs of 3+ short Title-Case items ("World /
  Canada / Politics"), or menu items mixed with chrome ("Print subscriptions / Sign in / Search jobs");
- exact repeats: the headline again (also "Other headline - Headline"), a line repeated verbatim;
- markdown front matter.

It returns spans of the original text, so every offset downstream points into the file as it was read. The
title comes from the metadata (front matter, HTML ``<h1>``/``<title>``), else the first markdown ``#`` heading,
else the headline-shaped line above the story. The date comes from the metadata, else from the top of the text
(:func:`rag.article_dates.text_date`).
"""

from __future__ import annotations

import re

from .article_dates import dateline_date, parse_date, text_date
from .line_shapes import (
    BULLET, BYLINE, Line, is_chrome, is_headline, is_label_value, is_menu_item, is_paragraph, is_title_line,
    is_titleish, line_core, norm, squash,
)  # fmt: skip
from .lexicon import words as line_words

__all__ = ["clean"]


_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s*|[-*+]\s+(?!\S*[-*+]\s*$))")
_MD_SETEXT = re.compile(r"^\s*(?:=+|-+|\*{3,}|_{3,})\s*$")


def _front_matter(text: str) -> tuple[int, dict[str, str]]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return 0, {}
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        kv = re.match(r"^\s*([A-Za-z_][\w-]*)\s*[:=]\s*(.*?)\s*$", line)
        if kv:
            meta[kv.group(1).lower()] = kv.group(2).strip().strip("\"'")
    return m.end(), meta


def _lines(text: str, start: int) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of text[start:], trimmed of surrounding whitespace."""
    spans = []
    for m in re.finditer(r"[^\n]+", text[start:]):
        s, e = m.start() + start, m.end() + start
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((s, e))
    return spans



def _entries(
    text: str, start: int, markdown: bool, link_starts: frozenset[int], row_starts: frozenset[int]
) -> tuple[list[Line], str]:
    """The non-blank lines as spans of ``text`` (markdown heading, quote and list markers left out of the span),
    and the first level-1 markdown heading."""
    out: list[Line] = []
    h1 = ""
    for s, e in _lines(text, start):
        line = text[s:e]
        link_only = s in link_starts
        if markdown and _MD_SETEXT.match(line):
            continue
        heading = False
        bullet = bool(BULLET.match(line))
        row = s in row_starts or bool(re.match(r"^\|.*\|$", line))  # an HTML or markdown table row
        if markdown:
            hm = _MD_HEADING.match(line)
            if hm:
                heading = True
                if not h1 and len(hm.group(1)) == 1:
                    h1 = hm.group(2)
            pm = _MD_PREFIX.match(line)
            if pm:
                s += pm.end()
                e = s + len(text[s:e].rstrip("# \t")) if heading else e
        if s >= e:
            continue
        out.append(Line(s, e, line_core(text[s:e]), heading, bullet, link_only, row))
    return out, h1



def clean(
    text: str,
    *,
    markdown: bool,
    html_title: str = "",
    html_date: str | None = None,
    link_starts: frozenset[int] = frozenset(),
    row_starts: frozenset[int] = frozenset(),
) -> tuple[str, str | None, list[tuple[int, int]]]:
    """Choose the content line spans; return (title, date, segments)."""
    body_start, meta = _front_matter(text) if markdown or text.startswith(("---", "+++")) else (0, {})
    title = meta.get("title", "").strip() or html_title
    date = None
    for key in ("date", "published", "pubdate", "publishdate", "date_published", "published_at"):
        date = date or parse_date(meta.get(key, ""))
    date = date or html_date

    entries, h1 = _entries(text, body_start, markdown, link_starts, row_starts)
    title = title or h1
    n = len(entries)
    keep = [not is_chrome(text[ln.s : ln.e], ln.core, ln.link_only, ln.row, ln.n) for ln in entries]
    paragraphs = [i for i in range(n) if keep[i] and is_paragraph(entries[i].core, entries[i].n)]
    first, last = (paragraphs[0], paragraphs[-1]) if paragraphs else (min(n, 3), n)

    # navigation before and after the story: a block of 3+ lines made of menu items and chrome is a menu when it
    # holds 3+ Title-Case items ("World / Canada / Politics"), or 2+ items and 2+ chrome lines ("Print
    # subscriptions / Sign in / Search jobs")
    nav = [False] * n
    if paragraphs:
        item = [
            (i < first or i > last) and keep[i] and is_menu_item(ln.core) and not ln.bullet and not ln.heading
            and not ln.row and not BYLINE.match(ln.core)
            for i, ln in enumerate(entries)
        ]
        run: list[int] = []
        for i in [*range(n), n]:
            if i < n and (i < first or i > last) and (item[i] or not keep[i]):
                run.append(i)
                continue
            items = [j for j in run if item[j]]
            titled = [j for j in items if is_titleish(entries[j].core)]
            if len(run) >= 3 and len(items) >= 2 and (len(titled) >= 3 or len(run) - len(items) >= 2):
                for j in items:
                    nav[j] = True
            run = []
        # the name lines right above a "label: value" line with a number are a record's name, not a menu
        # ("EUMAM Ukraine / EU Military Assistance Mission Ukraine / Authorization date: 10/22")
        for i in range(n):
            if keep[i] and is_label_value(entries[i].core) and re.search(r"\d", entries[i].core.split(":", 1)[1]):
                for j in range(i - 1, max(-1, i - 3), -1):
                    if not nav[j]:
                        break
                    nav[j] = False

    # the title line: the line repeating a known title, else the first headline-shaped line before the story,
    # passing over a menu item right below page chrome ("Sign in / Search jobs / Real headline")
    def below_chrome(i: int) -> bool:
        return i > 0 and not keep[i - 1] and paragraphs != [] and is_menu_item(entries[i].core)

    title_index: int | None = None
    if title:
        title_index = next((i for i in range(first) if keep[i] and is_title_line(entries[i].core, title)), None)
    else:
        candidates = [
            i for i in range(first)
            if keep[i] and not nav[i] and is_headline(entries[i].core) and not entries[i].bullet
            and not BYLINE.match(entries[i].core) and not dateline_date(entries[i].core)
            and (not is_label_value(entries[i].core) or len(line_words(entries[i].core.split(":", 1)[0])) >= 3)
        ]
        title_index = next((i for i in candidates if not below_chrome(i)), candidates[0] if candidates else None)
        if title_index is None:  # a short headline right after the menu: the last menu item before the story
            title_index = next((i for i in range(first - 1, -1, -1) if nav[i] and is_titleish(entries[i].core)), None)
    if title_index is not None:
        nav[title_index] = False
        if not title:
            title = text[entries[title_index].s : entries[title_index].e]
        for i in range(title_index):  # menu items among the page chrome above the headline
            if keep[i] and below_chrome(i) and not entries[i].bullet and not entries[i].heading:
                nav[i] = True

    for i in range(n):
        if nav[i]:
            keep[i] = False
    if paragraphs:  # a lone word before or after the story ("News", "Sport") states nothing
        for i in range(n):
            ln = entries[i]
            if ((i < first or i > last) and keep[i] and i != title_index and not ln.heading and not ln.bullet
                    and not ln.row and ln.n == 1 and is_menu_item(ln.core)):
                keep[i] = False

    # exact repeats: the headline again, a line identical to the one before it, a line without numbers or a
    # label that already appeared (a "label: value" line or a number may state a different fact in its context)
    seen: set[str] = set()
    seen_title = title_index is not None
    previous = ""
    for i, ln in enumerate(entries):
        if not keep[i]:
            continue
        key = norm(ln.core)
        if i != title_index and title and is_headline(ln.core) and is_title_line(ln.core, title):
            if seen_title:
                keep[i] = False
                continue
            seen_title = True
        elif i != title_index and (key == previous or (key in seen and not re.search(r"\d", key)
                                                       and not is_label_value(ln.core))):
            keep[i] = False
            continue
        seen.add(key)
        previous = key

    if date is None:
        date = text_date(entries, keep)
    segments = [(ln.s, ln.e) for i, ln in enumerate(entries) if keep[i]]
    return squash(title), date, segments
