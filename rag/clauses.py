"""A sentence cut to the clause that answers: the shortest exact span of a qualifying sentence that still keeps the
question's names, relation words and focus, and a value of the asked kind.

What may go: a dateline or a headline glued in front, a bullet mark, and trailing clauses that are adjuncts (a
subordinate or coordinate clause, a participle, a relative clause, a phrase without a verb), cut only after the
sentence's main verb. A reason or a "what" may sit in any clause, so only typed questions lose trailing clauses.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .article_dates import DATELINE_PREFIX
from .citations import Span
from .evidence import has_answer_type
from .lexicon import ADJUNCT_STARTS, ATTRIBUTION_LEMMAS, fold
from .line_shapes import BULLET
from .question import QuestionInfo, term_matches
from .text import analyse, name_matches

__all__ = ["trim_span", "lemmas_of", "TYPED"]

TYPED = ("number", "date", "money", "duration", "percent", "person", "place")


def trim_span(sp: Span, info: QuestionInfo) -> Span:
    """``sp`` cut to the shortest head that still answers: without a dateline or a glued headline in front, and
    without trailing clauses, as long as what is left keeps the question's names, relation words and focus, and a
    value of the asked kind."""
    keep = _Needs(info, sp.text)
    start, end = 0, len(sp.text)
    text = sp.text
    title = " ".join((sp.title or "").split())
    if title and " ".join(text.split()).startswith(title + " "):
        cut = _skip_words(text, len(title.split()))
        if keep.met(text[cut:end]):
            start = cut
    m = DATELINE_PREFIX.match(text[start:])
    if m and info.wants != "date" and keep.met(text[start + m.end():end]):
        start += m.end()
    b = BULLET.match(text[start:])
    if b:
        start += b.end()
    if info.wants in TYPED:  # the asked value then shows the head still answers; a reason or a "what" may be
        for cut in _clause_ends(text, start):  # in any clause, so those keep the whole sentence
            if len(text[start:cut].split()) >= 6 and keep.met(text[start:cut]):
                end = cut
                break
    while end > start and text[end - 1] in " \n\t":
        end -= 1
    if (start, end) == (0, len(text)):
        return sp
    return replace(sp, start=sp.start + start, end=sp.start + end, text=text[start:end])


def _skip_words(text: str, n: int) -> int:
    """The offset just after the first ``n`` words of ``text`` and the whitespace after them."""
    m = re.match(r"\s*(?:\S+\s+){%d}" % n, text)
    return m.end() if m else 0


def _clause_ends(text: str, start: int) -> list[int]:
    """Where a trailing clause could be cut off, earliest first: before ", " "; " or a dash, outside brackets and
    quotes, after the sentence's main verb, where what follows is an adjunct (a subordinate or coordinate clause,
    a participle, a relative clause, or a phrase without a verb), never between a subject and its verb."""
    a = analyse(text)
    root = next((t for t in a.tokens if t.dep == "ROOT"), None)
    if root is None or root.pos not in ("VERB", "AUX"):
        return []
    out = []
    for cut in _delimiters(text, start):
        if cut <= root.start:
            continue
        tail = [t for t in a.tokens if t.start > cut and t.pos not in ("PUNCT", "SPACE")]
        if not tail:
            continue
        first = tail[0]
        if _continues_a_list(a.tokens, first, cut):
            continue  # "in Norway, Portugal and France": the rest of the list, not an adjunct
        adjunct = (first.pos in ("SCONJ", "CCONJ") or first.text.lower() in ADJUNCT_STARTS
                   or (first.pos == "VERB" and first.text.lower().endswith(("ing", "ed")))
                   or not any(t.pos in ("VERB", "AUX") for t in tail))
        if adjunct and not (first.text.lower() == "according" or first.lemma in ATTRIBUTION_LEMMAS):
            out.append(cut)
    return out


def _continues_a_list(tokens, first, cut: int) -> bool:
    """Whether the words after a comma are the next conjunct of a list begun before it."""
    head = first
    while head.dep in ("compound", "amod", "det", "nummod", "poss") and tokens[head.head].start > head.start:
        head = tokens[head.head]
    return head.dep == "conj" and head.pos in ("NOUN", "PROPN", "NUM", "ADJ") and tokens[head.head].start < cut


def _delimiters(text: str, start: int) -> list[int]:
    out, depth, quoted = [], 0, False
    for i in range(start, len(text) - 1):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in "“”\"":
            quoted = not quoted if ch == '"' else ch == "“"
        elif depth == 0 and not quoted:
            if ch in ",;" and text[i + 1] == " " and not text[i - 1:i].isdigit() | text[i + 2:i + 3].isdigit():
                out.append(i)
            elif ch in "—–" and text[i - 1] == " ":
                out.append(i - 1)
    return out


class _Needs:
    """What a trimmed span must keep of the full one: the question's names, relation words and focus that the full
    span has, and (for a typed question) a value of the asked kind."""

    def __init__(self, info: QuestionInfo, full: str):
        self.info = info
        lemmas = lemmas_of(full)
        self.names = [n for n in info.names if name_matches(n, full, label=info.name_labels.get(n))]
        self.relation = [r for r in info.relation if term_matches(r, lemmas)]
        self.focus = [f for f in info.focus if term_matches(f, lemmas)]
        self.typed = info.wants in TYPED and has_answer_type(full, info.wants, info)
        self.said = bool(re.search(r"\b(?:said|says|told|according)\b", full))

    def met(self, part: str) -> bool:
        if not part.strip():
            return False
        lemmas = lemmas_of(part)
        if not all(name_matches(n, part, label=self.info.name_labels.get(n)) for n in self.names):
            return False
        if not all(term_matches(r, lemmas) for r in self.relation + self.focus):
            return False
        if self.info.wants == "speech" and self.said and not re.search(r"\b(?:said|says|told|according)\b", part):
            return False  # who said it stays with what was said
        return not self.typed or has_answer_type(part, self.info.wants, self.info)


def lemmas_of(text: str) -> set[str]:
    return {t.lemma for t in analyse(text).tokens} | set(fold(text).split())
