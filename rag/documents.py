"""Load files into :class:`~rag.types.Document`: read safely, pick the content lines, split sentences.

The invariant everything downstream relies on
---------------------------------------------
``Document.text`` is the *original text* and every span in ``segments`` and ``sentences`` indexes into
it, so ``doc.text[s:e]`` is always the real characters (citations quote it verbatim).

- ``.txt``, ``.md``, ``.markdown``: ``text`` is the file content exactly (a UTF-8 BOM is removed).
- ``.html``, ``.htm``: ``text`` is the *visible text* of the page: ``<script>``, ``<style>``, ``<nav>``,
  ``<header>``, ``<footer>``, ``<aside>``, ``<form>`` (and similar non-content elements) are dropped, block
  elements (``<p>``, ``<div>``, ``<h1>``, ``<li>``, ``<br>``...) become line breaks, runs of whitespace
  become one space and entities are decoded. The ``<h1>`` (else ``<title>``) gives the title;
  ``<meta property="article:published_time">`` (or similar) or ``<time datetime>`` gives the date.

Cleaning never edits ``text``: it only chooses which line spans are content (``segments``). It drops
navigation/menu lines before the first real paragraph (except the title line), lines after the last real
paragraph that look like footer links, web boilerplate (skip links, cookie banners, share/social lines,
"Read also:", "Latest", "More information", comment prompts, "Powered by ...", subscribe prompts,
copyright lines), headline lines that repeat the title, and markdown front matter.
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
        self.parts: list[str] = []
        self.skip: list[str] = []
        self.title = ""
        self.h1 = ""
        self.date: str | None = None
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False
        self._pre = 0

    def _newline(self) -> None:
        self.parts.append("\n")

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
        if tag in _SKIP_TAGS:
            self.skip.append(tag)
            return
        if tag == "pre":
            self._pre += 1
        if tag in _BLOCK_TAGS and not self.skip:
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
        if tag in _SKIP_TAGS:
            if tag in self.skip:  # close up to the matching open tag (tolerates sloppy HTML)
                while self.skip:
                    if self.skip.pop() == tag:
                        break
            return
        if tag == "pre" and self._pre:
            self._pre -= 1
        if tag in _BLOCK_TAGS and not self.skip:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_h1 and self.skip[-1:] != ["script"]:
            self.h1 += data
        if self.skip:
            return
        if self._pre:
            self.parts.append(data)
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(raw: str) -> tuple[str, str, str | None]:
    """Visible text of an HTML page, plus its title and ISO date (or None)."""
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    joined = "".join(parser.parts)
    lines = [ln.strip(" \t") for ln in joined.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = _squash(parser.h1) or _squash(parser.title)
    return text, title, parser.date


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------------------------- dates

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
_DMY_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_DATE_LABEL_RE = re.compile(
    r"^\W{0,3}(?:published|posted|date|updated|last updated|first published|released)(?:\s+on)?\s*[:\-–—]?\s*(.+)$",
    re.I,
)


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return _date(y, m, d).isoformat() if 1800 <= y <= 2200 else None
    except ValueError:
        return None


def _parse_date(value: str) -> str | None:
    """First full calendar date in ``value`` as ``YYYY-MM-DD``, else None."""
    if not value:
        return None
    m = _ISO_RE.search(value)
    if m:
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _MDY_RE.search(value)
    if m:
        return _valid(int(m.group(3)), _MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2)))
    m = _DMY_RE.search(value)
    if m:
        return _valid(int(m.group(3)), _MONTHS[m.group(2).lower().rstrip(".")], int(m.group(1)))
    return None


# ------------------------------------------------------------------------------------------ cleaning

def _compile(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.I) for p in patterns]


# whole-line patterns for short lines (12 words or fewer): menus, prompts, widgets
_SHORT_BOILERPLATE = _compile(
    r"skip to (?:the )?(?:main )?(?:content|navigation|main)",
    r"(?:read|see) (?:also|more|next)\b.{0,60}",
    r"(?:related|recommended|popular|trending|most read|more)(?: \w+)?(?: articles| posts| stories| news| reading)?:?",
    r"latest(?: \w+)?(?: news| posts| articles| stories| updates)?:?",
    r"more info(?:rmation)?:?",
    r"(?:no|\d+) comments?:?",
    r"(?:leave|post|add|write) (?:a |your )?(?:comment|reply|response)(?: here)?\W*",
    r"comments?(?: \(\d+\))?:?",
    r"powered by [\w .-]{1,40}",
    r"(?:share|share this|share on|share article|tweet|pin it|email|print)\b.{0,60}",
    r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|email|copy link)"
    r"(?:\s*[|·•,/]?\s*(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|email|copy link))*",
    r"follow us\b.{0,80}",
    r"(?:subscribe|sign up|newsletter)\b.{0,120}",
    r"advertisement|sponsored(?: content)?|ad",
    r"(?:older|newer) posts?|home|menu|search|log ?in|sign ?in|back to top|next|previous|top",
    r"(?:posted|labels|tags|categories|filed under)\b.{0,80}",
    r"accept(?: all)?(?: cookies)?|reject(?: all)?|cookie (?:settings|policy|preferences)",
    r"(?:click|tap) here\b.{0,80}",
)
# whole-line patterns for lines of any length: cookie banners, copyright, newsletter prompts
_ANY_BOILERPLATE = _compile(
    r"(?:©|\(c\)|copyright)\s.{0,160}",
    r".{0,80}all rights reserved\.?.{0,60}",
    r"(?:this |our )?(?:web)?site uses cookies\b.{0,300}",
    r".{0,200}\bwe use cookies\b.{0,300}",
    r".{0,200}\bby (?:continuing|using) (?:to (?:use|browse) )?(?:this|our) (?:site|website)\b.{0,200}",
    r".{0,80}\b(?:subscribe to|sign up for)\b.{0,40}\bnewsletters?\b.{0,80}",
)


def _is_boilerplate(line: str) -> bool:
    s = line.strip().strip("*_#>|-–—•· ").strip()
    if not s:
        return True
    if len(s) > 500:
        return False
    patterns = _SHORT_BOILERPLATE + _ANY_BOILERPLATE if len(_words(s)) <= 12 else _ANY_BOILERPLATE
    return any(p.fullmatch(s) for p in patterns)


_END_PUNCT = re.compile(r"[.!?…][\"'”’»)\]]*$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_STOP = {
    "a", "an", "the", "of", "for", "to", "in", "on", "and", "or", "with", "by", "at", "from", "is", "are",
    "as", "its", "it", "be", "this", "that", "s",
}  # fmt: skip
_BYLINE = re.compile(r"^(?:by|reported by|written by|story by)\s+\S", re.I)


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def _is_headline(line: str) -> bool:
    """Short line without sentence-ending punctuation."""
    s = line.strip()
    return bool(s) and not _END_PUNCT.search(s) and len(_words(s)) <= 20 and len(s) <= 200


def _is_paragraph(line: str) -> bool:
    """A real paragraph: a sentence-ending line of some length, or a long line."""
    n = len(_words(line))
    return (n >= 6 and bool(_END_PUNCT.search(line.strip()))) or n >= 25


def _stem_set(line: str) -> set[str]:
    out = set()
    for w in _words(line.lower()):
        w = re.sub(r"['’]s$", "", w)
        if w in _STOP:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return out


def _repeats_title(line: str, title: str) -> bool:
    if not title:
        return False
    a, b = line.strip().lower(), title.strip().lower()
    if a == b or (len(b) >= 12 and b in a):
        return True
    sa, sb = _stem_set(a), _stem_set(b)
    if len(sa) < 2 or len(sb) < 2:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= 0.6


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


_FACT_LINE = re.compile(r"[A-Z][\w .'’/&()-]{1,40}:\s+\S.{0,60}")  # "Authorization date: 10/22"


def _record_lines(text: str, entries: list[tuple[int, int, bool]], keep: list[bool]) -> set[int]:
    """Among the lines before the first paragraph: "label: value" lines that carry a number (not a publication
    date) and the up to two name lines right above each. They state facts (a mission and its authorisation
    date), unlike the menu lines around them, so cleaning keeps them."""
    facts = [i for i, (s, e, _) in enumerate(entries)
             if keep[i] and _FACT_LINE.fullmatch(text[s:e].strip()) and re.search(r"\d", text[s:e])
             and not _DATE_LABEL_RE.match(text[s:e])]
    out = set(facts)
    for i in facts:
        for j in range(i - 1, max(-1, i - 3), -1):
            s, e, _ = entries[j]
            if j in out or not keep[j] or not _is_headline(text[s:e]) or re.search(r"\s[|›»>]\s", text[s:e]):
                break  # not a name line: a fact, boilerplate, a sentence, or a breadcrumb such as "World | Europe"
            out.add(j)
    return out


def _clean(
    text: str, *, markdown: bool, html_title: str = "", html_date: str | None = None
) -> tuple[str, str | None, list[tuple[int, int]]]:
    """Choose the content line spans; return (title, date, segments)."""
    body_start, meta = _front_matter(text) if markdown or text.startswith(("---", "+++")) else (0, {})
    title = meta.get("title", "").strip() or html_title
    date = _parse_date(meta.get("date", "") or meta.get("published", "")) or html_date

    spans = _lines(text, body_start)
    # markdown: drop setext underlines and strip heading/quote markers from the span
    entries: list[tuple[int, int, bool]] = []  # (start, end, is_markdown_heading)
    for s, e in spans:
        line = text[s:e]
        if markdown and _MD_SETEXT.match(line):
            continue
        heading = False
        if markdown:
            hm = _MD_HEADING.match(line)
            if hm:
                heading = True
                if not title and len(hm.group(1)) == 1:
                    title = hm.group(2)
            pm = _MD_PREFIX.match(line)
            if pm:
                s += pm.end()
                e = s + len(text[s:e].rstrip("# \t")) if heading else e
            if s >= e:
                continue
        entries.append((s, e, heading))

    # date from a labelled line ("Published: March 1, 2024") or a date near the top
    if date is None:
        for s, e, _ in entries[:15]:
            line = text[s:e]
            lm = _DATE_LABEL_RE.match(line)
            if lm and (d := _parse_date(lm.group(1))):
                date = d
                break
        if date is None:
            for s, e, _ in entries[:8]:
                line = text[s:e]
                if len(_words(line)) <= 8 and (d := _parse_date(line)):
                    date = d
                    break

    keep = [not _is_boilerplate(text[s:e]) for s, e, _ in entries]
    paragraphs = [i for i, (s, e, _) in enumerate(entries) if keep[i] and _is_paragraph(text[s:e])]
    title_index: int | None = None
    if paragraphs:
        first, last = paragraphs[0], paragraphs[-1]
        records = _record_lines(text, entries[:first], keep)
        # leading navigation/menu lines: keep only one title-like line (and markdown headings, bylines, and
        # records such as "EUMAM Ukraine / EU Military Assistance Mission Ukraine / Authorization date: 10/22")
        for i in range(first):
            s, e, heading = entries[i]
            line = text[s:e]
            if not keep[i]:
                continue
            if heading or _BYLINE.match(line) or i in records:
                continue
            if title_index is None and _is_headline(line) and (not title or _repeats_title(line, title)):
                title_index = i
                continue
            keep[i] = False
        # trailing footer lines: short lines without punctuation after the last paragraph
        for i in range(last + 1, len(entries)):
            s, e, heading = entries[i]
            if keep[i] and not heading and _is_headline(text[s:e]) and len(_words(text[s:e])) <= 6:
                keep[i] = False
    elif entries:  # no real paragraph (a short note): the first headline-like line may be the title
        for i, (s, e, heading) in enumerate(entries[:3]):
            if keep[i] and _is_headline(text[s:e]) and (not title or _repeats_title(text[s:e], title)):
                title_index = i
                break
    if not title and title_index is not None:
        title = text[entries[title_index][0] : entries[title_index][1]]
    # headline lines repeating the title: keep the first, drop the others
    seen_title = title_index is not None
    for i, (s, e, _) in enumerate(entries):
        if i == title_index or not keep[i] or not title:
            continue
        line = text[s:e]
        if _is_headline(line) and _repeats_title(line, title):
            if seen_title:
                keep[i] = False
            seen_title = True
    segments = [(s, e) for i, (s, e, _) in enumerate(entries) if keep[i]]
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
    if low in _SOFT_ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", low):
        return next_low in _SENTENCE_STARTERS  # "in the U.S. The next day" vs "U.S. Secretary"
    return low not in _ABBREVIATIONS


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
    html_title, html_date = "", None
    if suffix in _HTML_SUFFIXES:
        text, html_title, html_date = html_to_text(raw)
    else:
        text = raw
    title, date, segments = _clean(
        text, markdown=suffix in _MARKDOWN_SUFFIXES, html_title=html_title, html_date=html_date
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
        title = _shorten(text[sentences[0][0] : sentences[0][1]]) or Path(source).stem
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
