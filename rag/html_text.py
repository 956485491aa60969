"""The visible text of an HTML page, with its title and date, and the lines that cleaning judges by their markup.

``<script>``, ``<style>``, ``<nav>``, ``<header>``, ``<footer>``, ``<aside>``, ``<form>`` (and similar
non-content elements) are dropped, block elements (``<p>``, ``<div>``, ``<h1>``, ``<li>``, ``<br>``...) become
line breaks, runs of whitespace become one space and entities are decoded; the cells of a table row stay on one
line, joined by ``" | "``. The ``<h1>`` (else ``<title>``) gives the title; ``<meta
property="article:published_time">`` (or similar) or ``<time datetime>`` gives the date.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .article_dates import parse_date
from .line_shapes import squash

__all__ = ["html_to_text", "parse_html"]


_SKIP_TAGS = {
    "script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
    "iframe", "button", "select", "textarea", "head", "object", "canvas", "dialog", "menu",
}  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
    "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "thead", "tbody", "tfoot", "caption",
    "figure", "figcaption", "hr", "br", "address", "details", "summary", "body", "html", "title",
}  # fmt: skip
_VOID_TAGS = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}
_DATE_META = {
    "article:published_time", "og:published_time", "datepublished", "date", "dc.date", "dc.date.issued",
    "pubdate", "publishdate", "publish_date", "sailthru.date", "parsely-pub-date",
}  # fmt: skip


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, bool, bool]] = []  # (visible text, inside a link, a table cell after the first)
        self.skip: list[str] = []
        self.title = ""
        self.h1 = ""
        self.date: str | None = None
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False
        self._pre = 0
        self._a = 0
        self._cells = -1  # cells seen in the current table row (-1: not in a row)

    def _newline(self) -> None:
        self.parts.append(("\n", False, False))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _DATE_META and self.date is None:
                self.date = parse_date(a.get("content", ""))
            return
        if tag == "time" and self.date is None and a.get("datetime"):
            self.date = parse_date(a["datetime"])
        if tag == "title":
            self._in_title = True
        if tag == "h1" and not self._h1_done:
            self._in_h1 = True
        if tag == "a":
            self._a += 1
        if tag in _SKIP_TAGS:
            self.skip.append(tag)
            return
        if tag == "pre":
            self._pre += 1
        if self.skip:
            return
        if tag == "tr":
            self._cells = 0
        if tag in ("td", "th") and self._cells >= 0:
            self._cells += 1
            if self._cells > 1:  # a row stays one line: "Venue | Riverside Stadium"
                self.parts.append((" | ", False, True))
                return
        if tag in _BLOCK_TAGS:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS or tag == "meta":
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "h1" and self._in_h1:
            self._in_h1 = False
            self._h1_done = bool(self.h1.strip())
        if tag == "a" and self._a:
            self._a -= 1
        if tag in _SKIP_TAGS:
            if tag in self.skip:  # close up to the matching open tag (tolerates sloppy HTML)
                while self.skip:
                    if self.skip.pop() == tag:
                        break
            return
        if tag == "pre" and self._pre:
            self._pre -= 1
        if self.skip:
            return
        if tag in ("td", "th") and self._cells >= 0:
            return
        if tag in ("tr", "table"):
            self._cells = -1
        if tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_h1 and self.skip[-1:] != ["script"]:
            self.h1 += data
        if self.skip:
            return
        self.parts.append((data if self._pre else re.sub(r"\s+", " ", data), self._a > 0, False))


def parse_html(raw: str) -> tuple[str, str, str | None, frozenset[int], frozenset[int]]:
    """:func:`html_to_text` plus the start offsets of two kinds of lines that cleaning judges by that shape:
    lines whose every letter and digit is link text (menus, link lists, "Related" headlines), and table rows
    (data, kept)."""
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    lines: list[tuple[str, bool, bool]] = []  # (stripped line, every letter/digit inside <a>, a table row)
    cur: list[tuple[str, bool, bool]] = []

    def flush() -> None:
        line = "".join(t for t, _, _ in cur).strip(" \t")
        alnum = [linked for t, linked, _ in cur for ch in t if ch.isalnum()]
        lines.append((line, bool(alnum) and all(alnum), any(row for _, _, row in cur)))
        cur.clear()

    for data, linked, row in parser.parts:
        for k, piece in enumerate(data.split("\n")):
            if k:
                flush()
            if piece:
                cur.append((piece, linked, row))
    flush()
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line for line, _, _ in lines)).strip()
    # the lines of `text` are the non-empty lines above, in order: find where each flagged one starts
    flagged = [(line.strip(), linked, row) for line, linked, row in lines if line.strip()]
    link_starts: set[int] = set()
    row_starts: set[int] = set()
    p = 0
    for m in re.finditer(r"[^\n]+", text):
        content = m.group(0).strip()
        if not content:
            continue
        q = p
        while q < len(flagged) and flagged[q][0] != content:
            q += 1
        if q < len(flagged):
            start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
            if flagged[q][1]:
                link_starts.add(start)
            if flagged[q][2]:
                row_starts.add(start)
            p = q + 1
    title = squash(parser.h1) or squash(parser.title)
    return text, title, parser.date, frozenset(link_starts), frozenset(row_starts)


def html_to_text(raw: str) -> tuple[str, str, str | None]:
    """Visible text of an HTML page, plus its title and ISO date (or None). The cells of a table row are
    joined on one line with " | "."""
    text, title, date, _, _ = parse_html(raw)
    return text, title, date
