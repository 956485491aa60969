"""Citations are enforced here, never trusted to the model.

Given a draft answer with ``[n]`` markers and the passages it was written from:

1. split the draft into sentences and read each sentence's markers;
2. for every sentence, check it against the best span (one or two sentences) of the passage it cites;
3. when that fails, re-cite it to the best supporting span among all retrieved passages;
4. drop a sentence nothing supports;
5. renumber citations 1..k in order of first use, one citation per distinct span.

The support check: the sentence's numbers, names and dates must all occur in the span, most of its other key
terms must too, it must not state another relation with the span's words (roles swapped, a number counting
another noun, another speaker: :mod:`rag.relations`), and it must be similar enough to the span (embedding
cosine floor).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import numbers_in, tokenize
from .line_shapes import BYLINE, is_label_value
from .relations import conflict
from .sentences import MARKER, MARKER_GROUP, split_cited
from .text import capitalised_phrases, names_in
from .types import Citation, Passage

__all__ = ["Span", "candidate_spans", "split_sentences", "support_score", "supports", "enforce", "strip_markers",
           "drop_unfinished", "MARKER"]

_LOOSE_MARKER = re.compile(r"\s*[\[(](?:source|passage|doc(?:ument)?)\s*#?(\d+)[\])]", re.IGNORECASE)
SIMILARITY_FLOOR = 0.6
TERM_COVERAGE = 0.75
ORDER_AGREEMENT = 0.3  # a loose guard: the parse-based checks of rag.relations catch recombined relations
MIN_TERMS = 3
MIN_WORDS = 5


@dataclass(frozen=True)
class Span:
    source: str
    title: str
    chunk_id: str
    start: int
    end: int
    text: str
    date: str | None = None
    passage_rank: int = 0


def candidate_spans(passages: list[Passage], original: Callable[[str], str], *, pairs: bool = True) -> list[list[Span]]:
    """For each passage: its sentences (and adjacent sentence pairs), as spans of the original file text."""
    out: list[list[Span]] = []
    for p in passages:
        text = original(p.source)
        sents = [s for s in p.chunk.sentences if 0 <= s[0] < s[1] <= len(text)]
        record_starts = _record_starts(text)
        spans = []
        for i, (s, e) in enumerate(sents):
            spans.append(Span(p.source, p.title, p.id, s, e, text[s:e], p.chunk.date, p.rank))
            # a pair only of neighbours: never glue a quote across a blank line (a paragraph or section break)
            # nor across two records of a table: "Votes: 3,118" belongs to the record above, not to the
            # "Candidate: L. Mthembu" that starts the next one
            if pairs and i + 1 < len(sents) and sents[i + 1][0] - e <= 3 and "\n\n" not in text[e : sents[i + 1][0]] \
                    and not (is_label_value(text[s:e]) and _label(text[slice(*sents[i + 1])]) in record_starts):
                s2, e2 = sents[i + 1]
                spans.append(Span(p.source, p.title, p.id, s, e2, text[s:e2], p.chunk.date, p.rank))
        out.append(spans)
    return out


def _label(line: str) -> str | None:
    return line.split(":", 1)[0].strip().lower() if is_label_value(line) else None


def _record_starts(text: str) -> set[str]:
    """The labels that start a record in a table of repeated records ("Candidate: …", "Votes: …", "Candidate: …"):
    the first label of each run of "label: value" lines, when it comes again in the run."""
    out, run = set(), []
    for line in text.split("\n") + [""]:
        label = _label(line.strip())
        if label:
            run.append(label)
            continue
        if run and run.count(run[0]) > 1:
            out.add(run[0])
        run = []
    return out


_LEAD_IN = re.compile(r"^(?:(?:the\s+)?(?:answer|passage|response)(?:\s+(?:is|says|states|reads))?\s*(?::\s*[\"“]?|"
                      r"[\"“])|based on the passages?,?)\s*", re.IGNORECASE)
_FINISHED = re.compile(rf"[.!?][\"”’)]?(?:\s*{MARKER_GROUP})*[\"”’)]?")


def drop_unfinished(draft: str) -> str:
    """A draft cut off by the token limit, without its unfinished last sentence ("... for a high")."""
    ends = [m.end() for m in _FINISHED.finditer(draft)]
    return draft[: ends[-1]] if ends else ""


def strip_markers(text: str) -> str:
    return _LOOSE_MARKER.sub("", MARKER.sub("", text)).strip()


def split_sentences(draft: str) -> list[tuple[str, list[int]]]:
    """Split a draft into (sentence without markers, cited numbers)."""
    draft = _LEAD_IN.sub("", draft.replace("\r", " ").strip())
    draft = _markers_to_sentence_ends(draft)
    out = []
    for part in re.split(r"\n+", draft):
        for piece in split_cited(part):
            piece = piece.strip()
            if not piece:
                continue
            nums = []
            for m in MARKER.finditer(piece):
                nums.extend(int(x) for x in re.split(r"\s*[,;]\s*", m.group(1)))
            for m in _LOOSE_MARKER.finditer(piece):
                nums.append(int(m.group(1)))
            sentence = strip_markers(piece)
            sentence = re.sub(r"\s+([.,;:!?])", r"\1", sentence)
            if len(re.sub(r"\W", "", sentence)) >= 3:
                out.append((sentence, nums))
    return out


def _markers_to_sentence_ends(draft: str) -> str:
    """Markers where this module reads them, at the end of their sentence before its full stop, whatever style
    the model wrote: "[1] The plant opens in 2028. [2] ..." (leading) or "... in 2028.[1] ..." (after the stop)."""
    if re.match(MARKER_GROUP, draft):
        pieces = re.split(f"({MARKER_GROUP})", draft)
        out = []
        for marker, text in zip(pieces[1::2], pieces[2::2]):
            text = text.strip()
            m = re.search(r"[.!?][\"”’)]?$", text)
            out.append(f"{text[: m.start()]} {marker}{text[m.start():]}" if m else f"{text} {marker}")
        return " ".join(out)
    return re.sub(rf"([.!?])((?:\s*{MARKER_GROUP})+)", lambda m: f"{m.group(2)}{m.group(1)}", draft)


def support_score(sentence: str, span: str, title: str = "", article: str = "") -> tuple[bool, float]:
    """Lexical half of the check: (hard facts all present, share of key terms present).

    A name need not be in the span when the article resolves it: it is in the article's ``title`` (the title says
    who and what the article is about, so "the plant" in the span is the Minamisato plant the title names), or it
    completes, as the ``article`` writes it, a name the span has ("Antony Blinken" for the span's "Blinken",
    "the Wexcombe Torcs" for "the torcs"). Numbers must be in the span itself. A byline in the span ("By Fiona
    Gathercole, Crime Correspondent") names who wrote the article, which no claim about the news rests on."""
    span = "\n".join(line for line in span.splitlines() if not BYLINE.match(line.strip())) or span
    span_terms = set(tokenize(span))
    span_numbers = numbers_in(span)
    known = (span + "\n" + title).lower().replace("’", "'")
    if not numbers_in(sentence) <= span_numbers:
        return False, 0.0
    names = names_in(sentence)
    for name in names:
        if name not in known and not any(name in full and any(w != name and w in names and w in known for w in full)
                                         for full in _full_names(article)):
            return False, 0.0
    terms = tokenize(sentence)
    if (len(terms) < MIN_TERMS or len(sentence.split()) < MIN_WORDS) and not _whole_line(sentence, span):
        return False, 0.0  # fragments like "NATO, Secretary General" say nothing checkable
    covered = sum(1 for t in terms if t in span_terms)
    if _order_agreement(terms, tokenize(span)) < ORDER_AGREEMENT:
        return False, 0.0  # the span's words recombined into a claim the span does not make
    return True, covered / len(terms)


def _bare(text: str) -> str:
    return " ".join(text.replace("“", " ").replace("”", " ").replace('"', " ").split()).rstrip(".").lower()


def _whole_line(sentence: str, span: str) -> bool:
    """A short sentence that is a whole line or sentence of the span, as the span writes it, and states something:
    a "label: value" row ("Revenue: $4.9bn") or a sentence ("Dengue comes in waves.")."""
    if not (is_label_value(sentence) or sentence.rstrip().endswith((".", "!"))):
        return False
    mine = _bare(sentence)
    return bool(mine) and any(mine == _bare(part) for part in [span, *span.splitlines()])


@lru_cache(maxsize=64)
def _full_names(article: str) -> tuple[frozenset[str], ...]:
    """The article's capitalised runs, each as the set of its name words ("Antony Blinken" → {"antony", "blinken"})."""
    return tuple(frozenset(names_in(run)) for run in capitalised_phrases(article) if " " in run)


def _order_agreement(terms: list[str], span_terms: list[str], window: int = 5) -> float:
    """Share of the sentence's adjacent term pairs that occur in the same order, close together, in the span."""
    pairs = [(a, b) for a, b in zip(terms, terms[1:]) if a != b]
    if len(pairs) < 2:
        return 1.0
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(span_terms):
        positions.setdefault(t, []).append(i)
    hits = 0
    for a, b in pairs:
        if any(0 < j - i <= window for i in positions.get(a, ()) for j in positions.get(b, ())):
            hits += 1
    return hits / len(pairs)


def supports(sentence: str, span: str, similarity: float | None = None, *, title: str = "",
             article: str = "") -> bool:
    """The verifier: the lexical check (a name may also be resolved by the article's ``title`` or ``article``
    text, see :func:`support_score`), the relation check (:func:`rag.relations.conflict`: roles, which number
    counts what, who speaks) and, when given, the embedding similarity floor."""
    hard, coverage = support_score(sentence, span, title, article)
    if not hard or coverage < TERM_COVERAGE or conflict(sentence, span) is not None:
        return False
    return similarity is None or similarity >= SIMILARITY_FLOOR


@dataclass
class Enforced:
    text: str
    citations: list[Citation]
    kept: int
    dropped: list[str]
    recited: int


def _best_span(sentence: str, spans: list[Span], original: Callable[[str], str] | None = None
               ) -> tuple[Span | None, float]:
    best, best_cov = None, -1.0
    for sp in spans:
        hard, cov = support_score(sentence, sp.text, sp.title, original(sp.source) if original else "")
        # prefer the shorter span on ties: a focused quote
        if hard and (cov > best_cov or (cov == best_cov and best is not None and len(sp.text) < len(best.text))):
            best, best_cov = sp, cov
    return best, best_cov


def attach_marker(sentence: str, n: int) -> str:
    """``"... on January 12."`` → ``"... on January 12 [1]."``"""
    sentence = sentence.rstrip()
    m = re.search(r"([.!?])([\"”’]?)$", sentence)
    if m and not sentence.endswith(("...", "…")):
        return f"{sentence[: m.start()]}{m.group(2)} [{n}]{m.group(1)}"
    return f"{sentence} [{n}]"


def enforce(
    draft: str,
    passages: list[Passage],
    original: Callable[[str], str],
    similarity: Callable[[list[tuple[str, str]]], list[float]] | None = None,
) -> Enforced:
    """Verify, re-cite, drop and renumber. ``similarity`` scores (sentence, span) pairs, e.g. embedding cosine."""
    spans_by_passage = candidate_spans(passages, original)
    all_spans = [sp for group in spans_by_passage for sp in group]
    chosen: list[tuple[str, Span]] = []
    dropped: list[str] = []
    recited = 0
    for sentence, nums in split_sentences(draft):
        cited = [spans_by_passage[n - 1] for n in nums if 1 <= n <= len(spans_by_passage)]
        span, cov = _best_span(sentence, [sp for g in cited for sp in g], original) if cited else (None, -1.0)
        if span is None or cov < TERM_COVERAGE:
            span, cov = _best_span(sentence, all_spans, original)
            if span is not None and cov >= TERM_COVERAGE:
                recited += 1
        if span is None or cov < TERM_COVERAGE or conflict(sentence, span.text) is not None:
            dropped.append(sentence)  # nothing supports it, or its words are there but its relation is not
            continue
        chosen.append((sentence, span))
    if similarity and chosen:
        scores = similarity([(s, sp.text) for s, sp in chosen])
        kept = []
        for (s, sp), score in zip(chosen, scores):
            if score >= SIMILARITY_FLOOR:
                kept.append((s, sp))
            else:
                dropped.append(s)
        chosen = kept
    # Renumber 1..k by first use; one citation per distinct span; drop a sentence that says nothing an earlier
    # one did not (a repeat, or a repeat's fragment).
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    said: list[set[str]] = []
    for sentence, sp in chosen:
        terms = set(tokenize(sentence))
        if any(terms <= earlier for earlier in said):
            dropped.append(sentence)
            continue
        said.append(terms)
        k = (sp.source, sp.start, sp.end)
        if k not in numbers:
            numbers[k] = len(numbers) + 1
            citations.append(Citation(numbers[k], sp.source, sp.title, sp.chunk_id, sp.text, sp.start, sp.end, sp.date))
        parts.append(attach_marker(sentence, numbers[k]))
    return Enforced(" ".join(parts), citations, len(parts), dropped, recited)
