"""The shape of one line of a page: its words, and whether it is page chrome, a menu item, a headline or a paragraph.

Each line is judged by its shape, never by what it is about (no lists of places, people, organisations or
topics), so the same rules hold for any site and any subject.

- Chrome anywhere (:func:`is_chrome`): lines made only of UI-action words ("Share", "Copy link",
  "Advertisement", "Skip to content", "Leave a comment", "Facebook Twitter"), UI imperatives ("Follow us on
  ...", "Sign up for ...", "Read more ..."), link-list labels ("Related: ...", "Read more: ...", "Tags: ..."),
  cookie/newsletter prompts, copyright and "Powered by" lines, breadcrumbs ("Home › World › Europe"), and short
  link-only lines (HTML anchors or markdown links without sentence punctuation).
- Not chrome by shape: anything with sentence punctuation or a clause, "label: value" lines, bullet items,
  table rows, lines with numbers, short factual lines, markdown headings, bylines.
- The shapes :mod:`rag.cleaning` needs to find menus, the headline and its repeats: :func:`is_menu_item`,
  :func:`is_titleish`, :func:`is_headline`, :func:`is_paragraph`, :func:`is_title_line`.
"""

from __future__ import annotations

import re

from .lexicon import CONNECTORS, DETERMINERS, FILLER
from .lexicon import words as line_words

__all__ = [
    "END_PUNCT", "BYLINE", "BULLET", "Line", "line_core", "squash", "norm", "is_headline", "is_paragraph",
    "is_label_value", "is_titleish", "is_menu_item", "is_chrome", "is_title_line",
]  # fmt: skip


END_PUNCT = re.compile(r"[.!?…][\"'”’»)\]]*$")
BYLINE = re.compile(r"^(?:by|reported by|written by|story by|words by)\s+\S", re.I)

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
_CRUMB_SEP = re.compile(r"\s+[|>/]\s+|\s*[›»→⟩]\s*")
_LABEL_VALUE = re.compile(r"^[A-Z][^\s:]*(?:\s+[^\s:]+){0,5}\s*:\s+\S")
_TITLE_SEP = re.compile(r"\s+[|–—-]\s+")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINK_LINE = re.compile(r"(?:[\s|·•/,>›»–—-]*!?\[[^\]\n]*\]\([^)\n]*\))+[\s|·•/,>›»–—-]*")
BULLET = re.compile(r"^(?:[-*+•·▪‣◦]|\d{1,3}[.)])\s+")


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def line_core(line: str) -> str:
    """The words of a line for judging its shape: markdown links become their text, emphasis, quote and
    table markers and a leading bullet go."""
    s = _MD_LINK.sub(lambda m: m.group(1), line).replace("**", "").replace("__", "")
    s = s.strip().strip("*_#>|").strip()
    return BULLET.sub("", s).strip()


def is_headline(line: str) -> bool:
    """Short line without sentence-ending punctuation."""
    s = line.strip()
    return bool(s) and not END_PUNCT.search(s) and len(line_words(s)) <= 20 and len(s) <= 200


def is_paragraph(line: str, n: int | None = None) -> bool:
    """A real paragraph: a sentence-ending line of some length, or a long line (``n``: its number of words)."""
    n = len(line_words(line)) if n is None else n
    return (n >= 6 and bool(END_PUNCT.search(line.strip()))) or n >= 25


def is_label_value(s: str) -> bool:
    return bool(_LABEL_VALUE.match(s))


def _is_ui(s: str) -> bool:
    """Only page-control words: "Share this article", "Facebook Twitter", "Comments (3)", "Back to top"."""
    t = _COUNTS.sub(" ", s)
    if re.search(r"\d", t):
        return False
    words = [w.lower() for w in line_words(t)]
    if not words or len(words) > 12:
        return False
    words = [w[:-1] if w.endswith("s") and w[:-1] in _UI_WORDS else w for w in words]  # "subscriptions"
    if not all(w in _UI_WORDS or w in _PLATFORMS or w in FILLER for w in words):
        return False
    return any(w in _UI_WORDS or w in _PLATFORMS for w in words)


def is_titleish(s: str) -> bool:
    words = line_words(s)
    return bool(words) and all(w[0].isupper() or w[0].isdigit() or w.lower() in CONNECTORS for w in words)


def _is_breadcrumb(s: str) -> bool:
    """Two or more short Title-Case link names joined by | › » > /: "Home › World › Europe"."""
    if not any(c in s for c in "|>/›»→⟩") or re.search(r"\d", s) or ":" in s or BYLINE.match(s):
        return False
    parts = [p.strip() for p in _CRUMB_SEP.split(s) if p.strip()]
    return len(parts) >= 2 and all(
        len(line_words(p)) <= 4 and is_titleish(p) and not END_PUNCT.search(p) for p in parts
    )


def is_menu_item(s: str) -> bool:
    """A menu entry: one to three Title-Case words ("World", "Bank of England") or two sentence-case words
    ("Interest rates", "Print subscriptions"); no number, no punctuation of a sentence or a label, not the
    subject of a clause ("The yen rose", "Markets closed higher")."""
    if re.search(r"[\d:;,!?\"“”]", s) or END_PUNCT.search(s):
        return False
    words = line_words(s)
    if not 1 <= len(words) <= 3 or not words[0][0].isupper():
        return False
    return is_titleish(s) or (len(words) <= 2 and words[0].lower() not in DETERMINERS)


def is_chrome(line: str, core: str, link_only: bool, row: bool = False, n: int | None = None) -> bool:
    """Page chrome wherever it is (see the rules in the module docstring)."""
    if not any(ch.isalnum() for ch in core):
        return True  # rules, separators, a lone "|" or "*"
    if len(core) > 600:
        return False
    low = core.lower()
    if any(h in low for h in _CHROME_HINTS) and any(p.fullmatch(core) for p in _ANY_CHROME):
        return True
    if (":" in core or "：" in core) and _LINK_LABEL.fullmatch(core):
        return True
    n = len(line_words(core)) if n is None else n
    if n <= 12 and _is_ui(core):
        return True
    if n <= 15 and _UI_IMPERATIVE.match(core):
        return True
    if row:
        return False  # a table row is data ("Venue | Riverside Stadium"), not a breadcrumb or a link list
    if _is_breadcrumb(core):
        return True
    if (link_only or _MD_LINK_LINE.fullmatch(line)) and n <= 15 and not END_PUNCT.search(core):
        return not is_label_value(core)
    return False


def norm(s: str) -> str:
    return " ".join(s.split()).strip(" .:;!?|–—-").casefold()


def is_title_line(core: str, title: str) -> bool:
    """The headline again: exactly, or as one part of "Headline | Site" / "Other headline - Headline"."""
    if not title:
        return False
    c, t = norm(core), norm(title)
    if not c or not t:
        return False
    if c == t:
        return True
    parts = [norm(p) for p in _TITLE_SEP.split(core)]
    if len(parts) > 1 and t in parts:
        return True
    title_parts = [norm(p) for p in _TITLE_SEP.split(title)]
    return len(title_parts) > 1 and c == title_parts[0]


class Line:
    """A non-blank line of the text as a span ``text[s:e]``, with what judging it needs: its :func:`line_core`,
    its number of words ``n`` and whether it is a markdown heading, a bullet item, link-only or a table row."""

    __slots__ = ("s", "e", "core", "n", "heading", "bullet", "link_only", "row")

    def __init__(self, s: int, e: int, core: str, heading: bool, bullet: bool, link_only: bool, row: bool) -> None:
        self.s, self.e, self.core, self.heading, self.bullet = s, e, core, heading, bullet
        self.link_only, self.row = link_only, row
        self.n = len(line_words(core))  # number of words
