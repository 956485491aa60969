"""Load files into :class:`~rag.types.Document`: read safely, pick the content lines, split sentences.

The invariant everything downstream relies on
---------------------------------------------
``Document.text`` is the *original text* and every span in ``segments`` and ``sentences`` indexes into
it, so ``doc.text[s:e]`` is always the real characters (citations quote it verbatim).

- ``.txt``, ``.md``, ``.markdown``: ``text`` is the file content exactly (a UTF-8 BOM is removed).
- ``.html``, ``.htm``: ``text`` is the *visible text* of the page: ``<script>``, ``<style>``, ``<nav>``,
  ``<header>``, ``<footer>``, ``<aside>``, ``<form>`` (and similar non-content elements) are dropped, block
  elements (``<p>``, ``<div>``, ``<h1>``, ``<li>``, ``<br>``...) become line breaks, runs of whitespace
  become one space and entities are decoded; the cells of a table row stay on one line, joined by
  ``" | "``. The ``<h1>`` (else ``<title>``) gives the title;
  ``<meta property="article:published_time">`` (or similar) or ``<time datetime>`` gives the date.

Cleaning never edits ``text``: it only chooses which line spans are content (``segments``). It keeps every line that states something (sentences, one-sentence
paragraphs, "label: value" lines, bullet items, table rows, short factual lines) and drops only page chrome,
judged by the shape of the line and never by its topic: UI controls (share/follow/subscribe buttons,
"Advertisement", skip links, comment prompts), "Related:"/"Read more:"/"Tags:" link lines, link-only lines,
cookie and newsletter prompts, copyright and "Powered by" lines, breadcrumbs, menus before and after the story
(runs of short Title-Case items), exact repeats of the headline or of a line, and markdown front matter.

The article's date comes from the metadata (front matter, ``<meta>``, ``<time>``), else from the top of the
text: a "Published:" line, a dateline ("TORONTO, 8 October 2024 — ...", "WASHINGTON (AP) — Oct. 14, 2024"), a
short date line ("Tue 8 Oct 2024 14.05 BST", "2024-10-14", "14/10/2024" when the order is unambiguous), else an
"Updated:" line. ``Document.date`` is ``YYYY-MM-DD`` or None.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date as _date
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

from .errors import FileError
from .types import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "iter_files",
    "read_file",
    "parse_document",
    "load_document",
    "load_documents",
    "split_sentences",
    "html_to_text",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
_HTML_SUFFIXES = (".html", ".htm")
_MARKDOWN_SUFFIXES = (".md", ".markdown")

_BINARY_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (or .docx/.xlsx/.epub)",
    b"PK\x05\x06": "a ZIP archive",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office document",
    b"RIFF": "a media file",
    b"\x00\x00\x01\x00": "an icon",
    b"OggS": "an audio file",
    b"ID3": "an MP3 file",
}

_SUPPORTED_TEXT = ", ".join(SUPPORTED_SUFFIXES)


# --------------------------------------------------------------------------------------------- files


def iter_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Expand ``paths`` into a sorted list of files.

    Folders are searched recursively for supported suffixes; hidden files and folders (name starting
    with ``.``) are skipped. A file named explicitly is kept whatever its suffix, so that
    :func:`read_file` can refuse it with a clear reason. A path that does not exist raises FileError.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found: set[Path] = set()
    for item in paths:
        p = Path(item).expanduser()
        if not p.exists():
            raise FileError(
                f"{str(item)!r} does not exist.", path=str(item), fix="Check the spelling and the current folder."
            )
        if p.is_dir():
            for child in p.rglob("*"):
                rel = child.relative_to(p)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.add(child)
        else:
            found.add(p)
    return sorted(found, key=lambda x: str(x))


def read_file(path: str | Path, max_bytes: int = 5_000_000) -> str:
    """Return the UTF-8 text of ``path`` (BOM removed) or raise FileError saying what is wrong and what to do."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise FileError(f"{name!r} does not exist.", path=name, fix="Check the spelling and the current folder.")
    if not p.is_file():
        raise FileError(
            f"{name!r} is not a regular file.", path=name, fix="Give a text file, or a folder to load every file in it."
        )
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileError(
            f"{name!r} has an unsupported type ({p.suffix or 'no suffix'}).",
            path=name,
            fix=f"Convert it to plain text or HTML and save it with one of: {_SUPPORTED_TEXT}.",
        )
    size = p.stat().st_size
    if size == 0:
        raise FileError(f"{name!r} is empty (0 bytes).", path=name, fix="Add text to it or remove it.")
    if size > max_bytes:
        raise FileError(
            f"{name!r} is too large ({size:,} bytes; the limit is {max_bytes:,}).",
            path=name,
            fix="Split it into smaller files, or raise RAG_MAX_FILE_BYTES.",
        )
    try:
        data = p.read_bytes()
    except OSError as e:
        raise FileError(f"{name!r} cannot be read: {e.strerror or e}.", path=name, fix="Check its permissions.")
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise FileError(
                f"{name!r} is {kind}, not text.",
                path=name,
                fix=f"Extract its text and save it as UTF-8 with one of: {_SUPPORTED_TEXT}.",
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(
            f"{name!r} is UTF-16 text, not UTF-8.", path=name, fix="Re-save it with UTF-8 encoding."
        )
    if b"\x00" in data:
        raise FileError(
            f"{name!r} looks binary (it contains NUL bytes).",
            path=name,
            fix=f"Only UTF-8 text files are accepted ({_SUPPORTED_TEXT}); extract the text first.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FileError(
            f"{name!r} is not valid UTF-8 (bad byte at position {e.start}).",
            path=name,
            fix="Re-save it with UTF-8 encoding (e.g. `iconv -f latin1 -t utf-8`).",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise FileError(f"{name!r} contains only whitespace.", path=name, fix="Add text to it or remove it.")
    return text


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


# ---------------------------------------------------------------------------------------------- HTML

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
                self.date = _parse_date(a.get("content", ""))
            return
        if tag == "time" and self.date is None and a.get("datetime"):
            self.date = _parse_date(a["datetime"])
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


def _html_to_text(raw: str) -> tuple[str, str, str | None, frozenset[int], frozenset[int]]:
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
    title = _squash(parser.h1) or _squash(parser.title)
    return text, title, parser.date, frozenset(link_starts), frozenset(row_starts)


def html_to_text(raw: str) -> tuple[str, str, str | None]:
    """Visible text of an HTML page, plus its title and ISO date (or None). The cells of a table row are
    joined on one line with " | "."""
    text, title, date, _, _ = _html_to_text(raw)
    return text, title, date


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------------------------- dates
#
# A small set of regular expressions for the explicit calendar dates that newsrooms print (datelines, bylines,
# "Published:" lines, <meta> values): "8 October 2024", "Tue 8 Oct 2024", "Oct. 14, 2024", "October 14 2024",
# "2024-10-14" (also with a time), and "14/10/2024" or "10/14/2024" only when the order is unambiguous.
# Dates without a year ("on Monday", "January 4"), relative dates and two-digit years are not article dates.

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
_DATELINE_PREFIX = re.compile(r"^[A-Z][A-Z.'’ -]*[A-Z.](?:,[^—–\n]{1,40}?)?\s*(?:\([^()\n]{1,30}\))?\s*[—–]\s*(?=\S)")


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


def _parse_date(value: str) -> str | None:
    """First full calendar date in ``value`` as ``YYYY-MM-DD``, else None."""
    found = _date_matches(value or "")
    return found[0][2] if found else None


def _dateline_date(line: str) -> str | None:
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
    if not _END_PUNCT.search(line.strip()) and len(_words(line)) <= 10:
        return iso  # a short date line: "By Jane Smith | 8 October 2024", "Reporting from Tokyo, 14/10/2024"
    return None


# ------------------------------------------------------------------------------------------ cleaning
#
# Cleaning keeps every line that states something and drops only page chrome. Each line is judged by its
# shape, never by what it is about (no lists of places, people, organisations or topics):
#
# - chrome anywhere: lines made only of UI-action words ("Share", "Copy link", "Advertisement", "Skip to
#   content", "Leave a comment", "Facebook Twitter"), UI imperatives ("Follow us on ...", "Sign up for ...",
#   "Read more ..."), link-list labels ("Related: ...", "Read more: ...", "Tags: ..."), cookie/newsletter
#   prompts, copyright and "Powered by" lines, breadcrumbs ("Home › World › Europe"), and short link-only
#   lines (HTML anchors or markdown links without sentence punctuation);
# - navigation before the story and after it: single words and runs of 3+ short Title-Case items;
# - exact repeats: the headline again (also "Other headline - Headline"), a line repeated verbatim.
#
# Kept by shape: anything with sentence punctuation or a clause, "label: value" lines, bullet items, lines
# with numbers, short factual lines, markdown headings, bylines.

_END_PUNCT = re.compile(r"[.!?…][\"'”’»)\]]*$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_BYLINE = re.compile(r"^(?:by|reported by|written by|story by|words by)\s+\S", re.I)

# the vocabulary of page controls; a line made only of these (and function words) is a button or menu
_UI_WORDS = frozenset("""
    share sharing tweet retweet email e mail print copy copied link links url permalink follow following
    subscribe subscribed subscription unsubscribe sign signup log login logout register join download app apps
    save saved bookmark bookmarks like comment comments reply replies respond leave post posts write view
    views load show hide close open toggle expand collapse click tap read more less also see watch listen play
    video videos audio podcast podcasts gallery photos image images skip jump back top next previous prev older
    newer home homepage menu navigation nav search main content accept reject allow decline agree manage
    settings preferences privacy policy terms conditions use cookie cookies consent contact about faq help
    feedback advertise advertisement advertising ad ads sponsored promoted newsletter newsletters alert alerts
    notifications rss feed feeds inbox info information related recommended popular trending latest news
    updates stories story articles article page site website edition free daily weekly most account profile
    premium subscribers continue reading full min mins minute minutes gift explore topic topics reuse
""".split())
_PLATFORMS = frozenset("""
    facebook twitter x linkedin whatsapp telegram reddit pinterest instagram youtube tiktok threads bluesky
    mastodon flipboard messenger snapchat
""".split())
_FILLER = frozenset("a an the this that these to of on in for with by and or at via us our your you me my it is "
                    "be up out off from no new here now per as all".split())
_COUNTS = re.compile(
    r"\(\s*\d[\d,.]*[km]?\s*\)|\b\d[\d,.]*[km]?\s+(?=(?:comments?|replies|shares|likes|views|min|mins|minutes?)\b)",
    re.I,
)
_UI_IMPERATIVE = re.compile(
    r"(?:read (?:more|also|next|the full (?:story|article))|see (?:also|more)|also read|click here|tap here|"
    r"follow us|follow (?:[\w.'’-]+ ){0,3}on (?:facebook|twitter|x|instagram|linkedin|threads|bluesky|tiktok|"
    r"youtube|whatsapp|telegram)|share (?:this|on|via|to|with)|sign up (?:for|to|now)|subscribe (?:to|for|now|today)|"
    r"(?:download|get) (?:the|our) app|listen to this|continue reading|skip to|jump to|"
    r"you (?:may|might) (?:also )?(?:like|enjoy)|more (?:from|on|in|about) (?:the )?(?:(?-i:[A-Z])[\w'’&.-]*\s*){1,4}$)\b",
    re.I,
)
_LINK_LABEL = re.compile(
    r"(?:related(?: (?:articles?|stories|news|content|links?|reading|coverage|topics))?|read (?:more|also|next)|"
    r"also read|see also|more (?:on|from|about|in) (?:this|the|[A-Z])[^:]{0,40}|more stories|"
    r"recommended(?: for you| reading)?|popular(?: now)?|trending(?: now)?|most (?:read|viewed|popular|shared)|"
    r"tags?|topics|categories|filed under|labels|posted in|further reading|you (?:may|might) also like)"
    r"\s*[:：]\s*.*",
    re.I,
)
_ANY_CHROME = [re.compile(p, re.I) for p in (
    r"(?:©|\(c\))\s*.{0,200}|copyright\s+(?:©\s*|\(c\)\s*)?(?:\d{4}|by\b).{0,200}",
    r".{0,80}all rights reserved\.?.{0,160}",
    r".{0,60}\bmay not be (?:published|reproduced|republished|broadcast|rewritten|redistributed)\b.{0,160}",
    r"(?:this |our )?(?:web)?site uses cookies\b.{0,300}",
    r".{0,200}\bwe use cookies\b.{0,300}",
    r".{0,200}\bby (?:continuing|using) (?:to (?:use|browse) )?(?:this|our) (?:site|website)\b.{0,200}",
    r".{0,80}\b(?:subscribe to|sign up for)\b.{0,40}\bnewsletters?\b.{0,80}",
    r"powered by [\w .-]{1,40}",
)]  # fmt: skip
_CHROME_HINTS = ("©", "(c)", "copyright", "rights reserved", "may not be", "cookies", "by continuing", "by using",
                 "newsletter", "powered by")
_DETERMINERS = frozenset("the a an this that these those it he she they we i you his her its their our my".split())
_CONNECTORS = frozenset("and of the for in on to a at de du la le van von der".split())
_CRUMB_SEP = re.compile(r"\s+[|>/]\s+|\s*[›»→⟩]\s*")
_LABEL_VALUE = re.compile(r"^[A-Z][^\s:]*(?:\s+[^\s:]+){0,5}\s*:\s+\S")
_TITLE_SEP = re.compile(r"\s+[|–—-]\s+")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINK_LINE = re.compile(r"(?:[\s|·•/,>›»–—-]*!?\[[^\]\n]*\]\([^)\n]*\))+[\s|·•/,>›»–—-]*")
_BULLET = re.compile(r"^(?:[-*+•·▪‣◦]|\d{1,3}[.)])\s+")


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def _core(line: str) -> str:
    """The words of a line for judging its shape: markdown links become their text, emphasis, quote and
    table markers and a leading bullet go."""
    s = _MD_LINK.sub(lambda m: m.group(1), line).replace("**", "").replace("__", "")
    s = s.strip().strip("*_#>|").strip()
    return _BULLET.sub("", s).strip()


def _is_headline(line: str) -> bool:
    """Short line without sentence-ending punctuation."""
    s = line.strip()
    return bool(s) and not _END_PUNCT.search(s) and len(_words(s)) <= 20 and len(s) <= 200


def _is_paragraph(line: str, n: int | None = None) -> bool:
    """A real paragraph: a sentence-ending line of some length, or a long line (``n``: its number of words)."""
    n = len(_words(line)) if n is None else n
    return (n >= 6 and bool(_END_PUNCT.search(line.strip()))) or n >= 25


def _is_label_value(s: str) -> bool:
    return bool(_LABEL_VALUE.match(s))


def _is_ui(s: str) -> bool:
    """Only page-control words: "Share this article", "Facebook Twitter", "Comments (3)", "Back to top"."""
    t = _COUNTS.sub(" ", s)
    if re.search(r"\d", t):
        return False
    words = [w.lower() for w in _words(t)]
    if not words or len(words) > 12:
        return False
    words = [w[:-1] if w.endswith("s") and w[:-1] in _UI_WORDS else w for w in words]  # "subscriptions"
    if not all(w in _UI_WORDS or w in _PLATFORMS or w in _FILLER for w in words):
        return False
    return any(w in _UI_WORDS or w in _PLATFORMS for w in words)


def _is_titleish(s: str) -> bool:
    words = _words(s)
    return bool(words) and all(w[0].isupper() or w[0].isdigit() or w.lower() in _CONNECTORS for w in words)


def _is_breadcrumb(s: str) -> bool:
    """Two or more short Title-Case link names joined by | › » > /: "Home › World › Europe"."""
    if not any(c in s for c in "|>/›»→⟩") or re.search(r"\d", s) or ":" in s or _BYLINE.match(s):
        return False
    parts = [p.strip() for p in _CRUMB_SEP.split(s) if p.strip()]
    return len(parts) >= 2 and all(
        len(_words(p)) <= 4 and _is_titleish(p) and not _END_PUNCT.search(p) for p in parts
    )


def _is_menu_item(s: str) -> bool:
    """A menu entry: one to three Title-Case words ("World", "Bank of England") or two sentence-case words
    ("Interest rates", "Print subscriptions"); no number, no punctuation of a sentence or a label, not the
    subject of a clause ("The yen rose", "Markets closed higher")."""
    if re.search(r"[\d:;,!?\"“”]", s) or _END_PUNCT.search(s):
        return False
    words = _words(s)
    if not 1 <= len(words) <= 3 or not words[0][0].isupper():
        return False
    return _is_titleish(s) or (len(words) <= 2 and words[0].lower() not in _DETERMINERS)


def _is_chrome(line: str, core: str, link_only: bool, row: bool = False, n: int | None = None) -> bool:
    """Page chrome wherever it is (see the rules at the top of this section)."""
    if not any(ch.isalnum() for ch in core):
        return True  # rules, separators, a lone "|" or "*"
    if len(core) > 600:
        return False
    low = core.lower()
    if any(h in low for h in _CHROME_HINTS) and any(p.fullmatch(core) for p in _ANY_CHROME):
        return True
    if (":" in core or "：" in core) and _LINK_LABEL.fullmatch(core):
        return True
    n = len(_words(core)) if n is None else n
    if n <= 12 and _is_ui(core):
        return True
    if n <= 15 and _UI_IMPERATIVE.match(core):
        return True
    if row:
        return False  # a table row is data ("Venue | Riverside Stadium"), not a breadcrumb or a link list
    if _is_breadcrumb(core):
        return True
    if (link_only or _MD_LINK_LINE.fullmatch(line)) and n <= 15 and not _END_PUNCT.search(core):
        return not _is_label_value(core)
    return False


def _norm(s: str) -> str:
    return " ".join(s.split()).strip(" .:;!?|–—-").casefold()


def _is_title_line(core: str, title: str) -> bool:
    """The headline again: exactly, or as one part of "Headline | Site" / "Other headline - Headline"."""
    if not title:
        return False
    c, t = _norm(core), _norm(title)
    if not c or not t:
        return False
    if c == t:
        return True
    parts = [_norm(p) for p in _TITLE_SEP.split(core)]
    if len(parts) > 1 and t in parts:
        return True
    title_parts = [_norm(p) for p in _TITLE_SEP.split(title)]
    return len(title_parts) > 1 and c == title_parts[0]


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


def _shorten(s: str, limit: int = 90) -> str:
    s = _squash(s)
    if len(s) <= limit:
        return s
    cut = s[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-")
    return cut + "…"


class _Line:
    __slots__ = ("s", "e", "core", "n", "heading", "bullet", "link_only", "row")

    def __init__(self, s: int, e: int, core: str, heading: bool, bullet: bool, link_only: bool, row: bool) -> None:
        self.s, self.e, self.core, self.heading, self.bullet = s, e, core, heading, bullet
        self.link_only, self.row = link_only, row
        self.n = len(_words(core))  # number of words


def _entries(
    text: str, start: int, markdown: bool, link_starts: frozenset[int], row_starts: frozenset[int]
) -> tuple[list[_Line], str]:
    """The non-blank lines as spans of ``text`` (markdown heading, quote and list markers left out of the span),
    and the first level-1 markdown heading."""
    out: list[_Line] = []
    h1 = ""
    for s, e in _lines(text, start):
        line = text[s:e]
        link_only = s in link_starts
        if markdown and _MD_SETEXT.match(line):
            continue
        heading = False
        bullet = bool(_BULLET.match(line))
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
        out.append(_Line(s, e, _core(text[s:e]), heading, bullet, link_only, row))
    return out, h1


def _text_date(entries: list[_Line], keep: list[bool]) -> str | None:
    """The article's date from the top of the text: a "Published:" line, else a dateline or a short date line,
    else an "Updated:" line. Looks at the first 15 lines, up to the second paragraph."""
    published = dateline = updated = None
    paragraphs = 0
    for i, ln in enumerate(entries[:15]):
        if not keep[i]:
            continue
        lm = _DATE_LABEL_RE.match(ln.core)
        d = _parse_date(lm.group(2)) if lm else None
        if d:
            if lm.group(1).lower() in _UPDATE_LABELS:
                updated = updated or d
            else:
                published = published or d
                break
        elif dateline is None:
            dateline = _dateline_date(ln.core)
        if _is_paragraph(ln.core, ln.n):
            paragraphs += 1
            if paragraphs >= 2:
                break
    return published or dateline or updated


def _clean(
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
        date = date or _parse_date(meta.get(key, ""))
    date = date or html_date

    entries, h1 = _entries(text, body_start, markdown, link_starts, row_starts)
    title = title or h1
    n = len(entries)
    keep = [not _is_chrome(text[ln.s : ln.e], ln.core, ln.link_only, ln.row, ln.n) for ln in entries]
    paragraphs = [i for i in range(n) if keep[i] and _is_paragraph(entries[i].core, entries[i].n)]
    first, last = (paragraphs[0], paragraphs[-1]) if paragraphs else (min(n, 3), n)

    # navigation before and after the story: a block of 3+ lines made of menu items and chrome is a menu when it
    # holds 3+ Title-Case items ("World / Canada / Politics"), or 2+ items and 2+ chrome lines ("Print
    # subscriptions / Sign in / Search jobs")
    nav = [False] * n
    if paragraphs:
        item = [
            (i < first or i > last) and keep[i] and _is_menu_item(ln.core) and not ln.bullet and not ln.heading
            and not ln.row and not _BYLINE.match(ln.core)
            for i, ln in enumerate(entries)
        ]
        run: list[int] = []
        for i in [*range(n), n]:
            if i < n and (i < first or i > last) and (item[i] or not keep[i]):
                run.append(i)
                continue
            items = [j for j in run if item[j]]
            titled = [j for j in items if _is_titleish(entries[j].core)]
            if len(run) >= 3 and len(items) >= 2 and (len(titled) >= 3 or len(run) - len(items) >= 2):
                for j in items:
                    nav[j] = True
            run = []
        # the name lines right above a "label: value" line with a number are a record's name, not a menu
        # ("EUMAM Ukraine / EU Military Assistance Mission Ukraine / Authorization date: 10/22")
        for i in range(n):
            if keep[i] and _is_label_value(entries[i].core) and re.search(r"\d", entries[i].core.split(":", 1)[1]):
                for j in range(i - 1, max(-1, i - 3), -1):
                    if not nav[j]:
                        break
                    nav[j] = False

    # the title line: the line repeating a known title, else the first headline-shaped line before the story,
    # passing over a menu item right below page chrome ("Sign in / Search jobs / Real headline")
    def below_chrome(i: int) -> bool:
        return i > 0 and not keep[i - 1] and paragraphs != [] and _is_menu_item(entries[i].core)

    title_index: int | None = None
    if title:
        title_index = next((i for i in range(first) if keep[i] and _is_title_line(entries[i].core, title)), None)
    else:
        candidates = [
            i for i in range(first)
            if keep[i] and not nav[i] and _is_headline(entries[i].core) and not entries[i].bullet
            and not _BYLINE.match(entries[i].core) and not _dateline_date(entries[i].core)
            and (not _is_label_value(entries[i].core) or len(_words(entries[i].core.split(":", 1)[0])) >= 3)
        ]
        title_index = next((i for i in candidates if not below_chrome(i)), candidates[0] if candidates else None)
        if title_index is None:  # a short headline right after the menu: the last menu item before the story
            title_index = next((i for i in range(first - 1, -1, -1) if nav[i] and _is_titleish(entries[i].core)), None)
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
                    and not ln.row and ln.n == 1 and _is_menu_item(ln.core)):
                keep[i] = False

    # exact repeats: the headline again, a line identical to the one before it, a line without numbers or a
    # label that already appeared (a "label: value" line or a number may state a different fact in its context)
    seen: set[str] = set()
    seen_title = title_index is not None
    previous = ""
    for i, ln in enumerate(entries):
        if not keep[i]:
            continue
        key = _norm(ln.core)
        if i != title_index and title and _is_headline(ln.core) and _is_title_line(ln.core, title):
            if seen_title:
                keep[i] = False
                continue
            seen_title = True
        elif i != title_index and (key == previous or (key in seen and not re.search(r"\d", key)
                                                       and not _is_label_value(ln.core))):
            keep[i] = False
            continue
        seen.add(key)
        previous = key

    if date is None:
        date = _text_date(entries, keep)
    segments = [(ln.s, ln.e) for i, ln in enumerate(entries) if keep[i]]
    return _squash(title), date, segments


# ----------------------------------------------------------------------------------------- sentences

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "col", "lt", "sgt", "capt",
    "cmdr", "adm", "maj", "gov", "sen", "rep", "rev", "hon", "pres", "supt", "messrs", "mme", "mlle",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "nos", "vol", "vols", "fig", "figs", "art", "sec", "ch", "pp", "p", "para", "ed", "eds",
    "approx", "est", "dept", "univ", "assn", "inc", "ltd", "co", "corp", "bros", "vs", "v", "cf", "al",
    "e.g", "i.e", "ave", "blvd", "rd", "ph.d", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m",
}  # fmt: skip
# abbreviations that may also end a sentence when the next word starts one
_SOFT_ABBREVIATIONS = {"inc", "ltd", "co", "corp", "bros", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "etc"}
# news-agency style abbreviations of US states, as in the datelines "BATON ROUGE, La. (AP) —" and
# "CHARLESTON, W.Va. —"; matched with their capital (so "fell ill. Doctors" still ends a sentence)
_STATE_ABBREVIATIONS = {
    "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan", "Kans", "Ky", "La",
    "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla", "Ore", "Pa", "Tenn", "Tex", "Vt",
    "Va", "Wash", "W.Va", "Wis", "Wyo",
}  # fmt: skip
_NUMBER_ABBREVIATIONS = {"no", "nos", "vol", "vols", "fig", "figs", "art", "sec", "ch", "pp", "p", "jan", "feb",
                         "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}  # fmt: skip
_SENTENCE_STARTERS = {
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those", "but",
    "and", "in", "on", "at", "for", "as", "if", "when", "while", "after", "before", "there", "his", "her",
    "its", "their", "our", "meanwhile", "however", "yet", "so", "still", "since", "officials", "some",
}  # fmt: skip

_BOUNDARY = re.compile(r"(?:\.{2,}|…|[.!?]+)[\"'”’»)\]]*(?=\s)")
_CLOSERS = "\"'”’»)]"


def _token_before(text: str, pos: int, lo: int) -> str:
    """The whitespace-delimited token ending at ``pos`` (exclusive), without leading quotes/brackets."""
    i = pos
    while i > lo and not text[i - 1].isspace():
        i -= 1
    return text[i:pos].lstrip("\"'“‘«([")


def _is_boundary(text: str, m: re.Match[str], lo: int, hi: int) -> bool:
    """Does the end-punctuation match ``m`` end a sentence?"""
    j = m.end()
    while j < hi and text[j].isspace():
        j += 1
    if j >= hi:
        return True
    nxt = text[j]
    if nxt.islower():
        return False  # "actions... and", "U.S. and", "“..., ” he said": sentences start upper-case
    punct = m.group(0)
    core = punct.rstrip(_CLOSERS)
    if core != ".":
        return True  # "!", "?", "...", "…" before a capital
    if punct != core:
        return True  # '." The', '.” He': a closing quote after the period
    word = _token_before(text, m.start(), lo)
    low = word.lower()
    if nxt.isdigit():
        return low not in _NUMBER_ABBREVIATIONS  # "No. 5", "Jan. 9"
    if re.fullmatch(r"[A-Z]", word):
        return False  # an initial: "Vladimir V. Putin", "J. K. Rowling"
    next_word = re.match(r"\S+", text[j:hi])
    next_low = next_word.group(0).lower().strip("\"'“‘«([,;:") if next_word else ""
    if low in _SOFT_ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", low) or word in _STATE_ABBREVIATIONS:
        return next_low in _SENTENCE_STARTERS  # "in the U.S. The next day" vs "U.S. Secretary"
    return low not in _ABBREVIATIONS


def ends_with_abbreviation(piece: str, following: str = "") -> bool:
    """Whether ``piece`` ends in an abbreviation or an initial that does not end a sentence ("St.", "Dr.",
    "Oct.", "J.", "U.S." before "Senate"), so that a split after it was wrong: "a service at St. Brigid's" is one
    sentence. ``following``: the text after it, which decides for abbreviations that may end a sentence."""
    piece = piece.rstrip()
    word = _token_before(piece, len(piece) - 1, 0) if piece.endswith(".") else ""
    if not word:
        return False
    low = word.lower()
    if low in _SOFT_ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", low) or word in _STATE_ABBREVIATIONS:
        nxt = following.split()[0].lower().strip("\"'“‘«([,;:") if following.split() else ""
        return nxt not in _SENTENCE_STARTERS
    return re.fullmatch(r"[A-Z]", word) is not None or low in _ABBREVIATIONS


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text[start:end]``, trimmed of surrounding whitespace.

    Handles abbreviations (U.S., Mr., Ph.D., St., Jan., No. 5), initials ("Vladimir V. Putin"), decimals
    ($2.5), quotes after the period (``.”``) and ellipses inside sentences ("actions...and"). Text without
    end punctuation (a heading) is one sentence. Fragments without letters or digits (a stray ".") are
    attached to the previous sentence.
    """
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    cur = start
    for m in _BOUNDARY.finditer(text, start, end):
        if m.end() <= cur:
            continue
        if _is_boundary(text, m, start, end):
            out.append((cur, m.end()))
            cur = m.end()
    if cur < end:
        out.append((cur, end))
    spans: list[tuple[int, int]] = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s >= e:
            continue
        if spans and not any(ch.isalnum() for ch in text[s:e]):
            spans[-1] = (spans[-1][0], e)
            continue
        spans.append((s, e))
    return spans


# ------------------------------------------------------------------------------------------- parsing


def parse_document(source: str, raw: str, *, suffix: str = ".txt", path: str = "") -> Document:
    """Build a :class:`Document` from already-read text (see the module docstring for what ``text`` is)."""
    suffix = (suffix or ".txt").lower()
    if not suffix.startswith("."):
        suffix = "." + suffix
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    html_title, html_date, link_starts, row_starts = "", None, frozenset(), frozenset()
    if suffix in _HTML_SUFFIXES:
        text, html_title, html_date, link_starts, row_starts = _html_to_text(raw)
    else:
        text = raw
    title, date, segments = _clean(
        text,
        markdown=suffix in _MARKDOWN_SUFFIXES,
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
        title = _shorten(_DATELINE_PREFIX.sub("", first, count=1) or first) or Path(source).stem
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
