"""The sentence splitter of the project: sentence spans of a text, and the abbreviations that do not end one.

Every sentence boundary in the project is decided here, so that the spans a document is split into
(:func:`split_sentences`, :attr:`Document.sentences`) and the pieces a drafted answer with ``[n]`` markers is split
into (:func:`split_cited`, read by :mod:`rag.citations`) agree on "Dr.", "St.", "Oct. 14", "U.S. Senate",
"J. K. Rowling" and "$2.5". This module is the one place the abbreviation lists and the citation marker's syntax
live; the function words that may start a sentence are :data:`rag.lexicon.SENTENCE_STARTERS`.
"""

from __future__ import annotations

import re

from .lexicon import SENTENCE_STARTERS as _SENTENCE_STARTERS

__all__ = ["split_sentences", "split_cited", "split_after_markers", "ends_with_abbreviation", "MARKER", "MARKER_GROUP"]


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
_BOUNDARY = re.compile(r"(?:\.{2,}|…|[.!?]+)[\"'”’»)\]]*(?=\s)")
_CLOSERS = "\"'”’»)]"
# a citation marker: "[1]", "[1, 3]"; MARKER also takes the space before it and captures the numbers
MARKER_GROUP = r"\[\d+(?:\s*[,;]\s*\d+)*\]"
MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# where a drafted answer's sentence ends: after end punctuation, its markers and a closing quote, before a capital
_CITED_END = re.compile(rf"(?<=[.!?])(?:\s*{MARKER_GROUP})*[\"”’)]?\s+(?=[A-Z\"“(])")


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


def split_cited(line: str) -> list[str]:
    """The sentences of one line of a drafted answer, markers included ("The plant opens in 2028 [1]. It ...").
    A piece that ends in an abbreviation ("... at St. Brigid's") is not a sentence of its own."""
    pieces: list[str] = []
    for piece in _CITED_END.split(line):
        # "... at St. Brigid's": not two sentences (a split there would cite "St" alone)
        if pieces and ends_with_abbreviation(MARKER.sub("", pieces[-1]), piece):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces


def split_after_markers(text: str) -> list[str]:
    """A composed answer cut after each citation marker ("... on Monday [1]. Then ... [2]."): one piece per cited
    sentence, for what is read per citation (its date)."""
    return re.split(r"(?<=\]\.)\s+|(?<=\])\s+", text)
