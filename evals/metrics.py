"""Per-answer metrics of the faithfulness eval, in ragas' and ALCE's words.

Everything here is a pure function of an answer (text, citations, abstained flag, retrieved contexts), a gold
item and the seed files; nothing imports ``rag.citations`` or ``rag.answer``, so the eval does not grade the
pipeline with the pipeline's own rules.

Retrieval (answerable items)
    ``hit@k``: 1 when any gold source file (the ``source`` of the item's ``reference_contexts``) is the source of one
    of the first ``k`` retrieved passages (``answer.contexts``); ``MRR``: 1 / rank of the first passage from a gold
    source (0 when none); ``source_recall@k``: the share of the gold source files among the first ``k`` passages
    (multi-article items need all of them).

Correctness (answerable items)
    ``key_fact_recall``: the share of the item's key facts of which at least one variant occurs in the answer
    text. Both sides are normalised: lowercase, curly quotes and dashes unified, commas inside numbers removed,
    whitespace collapsed. A variant that starts or ends with a digit must not touch another digit ("30" does
    not match "300").

Citations (ALCE-style, every non-abstained answer)
    The answer text is split into sentences (at ``.``/``!``/``?`` + whitespace + capital, and after a marker group
    such as ``[2].``; not after common abbreviations such as ``U.S.``, ``Jan.``, ``Mr.``). A sentence cites the
    ``[n]`` markers inside it; a sentence without its own marker is judged against the citations of the marker
    that closes its run (the next marked sentence in the same paragraph), because the pipeline writes one marker
    at the end of each claim; a sentence that no marker follows is *uncited*.

    The support judgement (deliberately *not* the pipeline's, which uses bag-of-terms coverage, names and an
    embedding cosine): the claim is the sentence with its ``[n]`` markers removed and with any parenthetical
    date annotation the pipeline adds after a relative date (``"(2 December 2024)"``, ``"(the week of ...)"``,
    ``"(January 2022)"``, ``"(2022)"``) removed unless those characters are in the quote. A set of quotes
    *supports* the claim when both hold:

    1. ordered word overlap: ROUGE-L's summary-level *union LCS* — the longest common subsequence of the claim's
       content words with each clause of the quotes (quotes cut at ``. ! ? ; : ,`` and dashes), the claim words
       used by any of them counted once — covers at least ``SUPPORT_LCS`` (0.6) of the claim's content words
       (words are normalised as above, split on non-alphanumerics, with a short list of function words
       removed). Within a clause the order must hold and each quote word is used once, so word salad and
       repeated phrases are not supported; restating the quote's clauses in another order is;
    2. numbers: every number in the claim (digits, thousands commas removed) occurs among the quotes' numbers.

    ``citation recall`` = supported sentences / sentences (uncited sentences count as unsupported);
    ``citation precision`` = precise citation links / citation links, where a link is one (sentence, cited
    ``[n]``) pair and it is precise when its quote alone supports the sentence, or when the sentence is supported
    by all its quotes together but not without this one (ALCE's definition). Both are averaged per answer, then
    over answers (macro, as ALCE). A link to a marker without a citation object is imprecise.

    ``fabricated citations`` = citations whose ``source`` is not a seed file, or whose seed text
    ``[start:end]`` differs from its ``quote``, plus ``[n]`` markers that have no citation object.

Abstention
    ``abstention accuracy``: the share of unanswerable and injection items whose answer has ``abstained``;
    ``false abstention``: the share of answerable items that abstained (or errored); ``abstention with
    citations``: abstained answers that still carry a citation or an ``[n]`` marker (must be 0).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.compose import is_not_covered

__all__ = [
    "normalise", "content_words", "numbers", "lcs_len", "lcs_positions", "clauses", "strip_annotations",
    "split_sentences", "support",
    "supports", "SentenceScore", "CitationScores", "score_citations", "fabricated_citations", "key_fact_recall",
    "retrieval_scores", "abstention_violation", "percentile", "SUPPORT_LCS",
]

SUPPORT_LCS = 0.6

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
})
_FUNCTION_WORDS = frozenset(
    """a an the and or but nor of to in on at by for from with as into onto over under about than then that this
    these those it its is are was were be been being has have had do does did will would shall should can could may
    might must not no so such there their they them he she his her him we our you your i me my which who whom whose
    what when where while also said says say according s""".split()
)
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr st gen col lt sgt capt gov sen rep jr sr inc ltd co corp no vs etc jan feb mar apr jun jul aug
    sep sept oct nov dec est approx dept univ prof""".split()
)
_BOUNDARY = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"“'‘(]?[A-Z0-9])")
_DATE_NOTE = re.compile(
    r"\s*\((?:the week of\s+)?(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)?\s*\d{4}\)"
)


def normalise(text: str) -> str:
    """Lowercase, unify quotes and dashes, remove commas inside numbers, collapse whitespace."""
    text = text.translate(_TRANSLATE).lower()
    text = re.sub(r"(?<=\d),(?=\d)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def content_words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+(?:\.\d+)?", normalise(text))
    return [w for w in words if w not in _FUNCTION_WORDS]


def numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(normalise(text)))


def lcs_len(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two word lists (ROUGE-L's core)."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def strip_annotations(sentence: str, quotes: Iterable[str] = ()) -> str:
    """Remove ``[n]`` markers and the pipeline's parenthetical date annotations that the quotes don't contain."""
    joined = normalise(" ".join(quotes))
    text = _MARKER.sub("", sentence)

    def drop(m: re.Match) -> str:
        return m.group(0) if normalise(m.group(0).strip(" ()")) in joined else ""

    text = _DATE_NOTE.sub(drop, text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def lcs_positions(a: Sequence[str], b: Sequence[str]) -> set[int]:
    """Indices of ``a`` on one longest common subsequence of ``a`` and ``b``."""
    if not a or not b:
        return set()
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    out, i, j = set(), 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            out.add(i)
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def clauses(text: str) -> list[str]:
    """A quote cut into sentences and clauses (at . ! ? ; : , and dashes), the units of the union LCS."""
    parts = re.split(r"(?<=[.!?;:,])\s+|\s+[-–—]+\s+|\n+", text.translate(_TRANSLATE))
    return [p for p in parts if p.strip()]


def support(claim: str, quotes: Sequence[str]) -> tuple[float, bool]:
    """(union-LCS share of the claim's content words, every number of the claim is in the quotes).

    ROUGE-L's summary-level union LCS: the claim's content words are matched, in order, against each clause of
    the quotes separately; a claim word counts when any clause's LCS uses it. Word salad and repetition stay
    unmatched (inside a clause the order must hold and each quote word is used once); putting the quote's clauses
    in another order does not cost anything."""
    joined = " ".join(quotes)
    claim_words = content_words(claim)
    if not claim_words:
        return 0.0, False
    matched: set[int] = set()
    for quote in quotes:
        for clause in clauses(quote):
            matched |= lcs_positions(claim_words, content_words(clause))
    return len(matched) / len(claim_words), numbers(claim) <= numbers(joined)


def supports(sentence: str, quotes: Sequence[str]) -> bool:
    """The eval's support judgement (see the module docstring)."""
    quotes = [q for q in quotes if q]
    if not quotes:
        return False
    lcs, nums = support(strip_annotations(sentence, quotes), quotes)
    return nums and lcs >= SUPPORT_LCS


def _ends_with_abbreviation(chunk: str) -> bool:
    m = re.search(r"(\S+)\s*$", chunk)
    if not m:
        return False
    token = m.group(1).rstrip("\"'”’)")
    if not token.endswith("."):
        return False
    word = token[:-1].lstrip("(\"'“‘")
    if re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word):  # U.S. / U.N. / J.
        return True
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[tuple[str, list[int], bool]]:
    """Split answer text into ``(sentence, cited numbers, own_marker)``.

    A sentence without a marker takes the numbers of the next marked sentence in its paragraph
    (``own_marker`` False); one that no marker follows gets ``[]``."""
    out: list[tuple[str, list[int], bool]] = []
    for para in re.split(r"\n\s*\n|\n", text.replace("\r", "")):
        para = para.strip()
        if not para:
            continue
        pieces: list[str] = []
        pos = 0
        for m in _BOUNDARY.finditer(para):
            candidate = para[pos : m.start()] + m.group(1)
            if _ends_with_abbreviation(candidate):
                continue
            pieces.append(candidate.strip())
            pos = m.end()
        pieces.append(para[pos:].strip())
        sents = []
        for piece in pieces:
            if not re.search(r"[A-Za-z0-9]", _MARKER.sub("", piece)):
                # a stray marker group ("[2].") belongs to the sentence before it
                if sents and _MARKER.search(piece):
                    sents[-1] = (sents[-1][0] + " " + piece, sents[-1][1] + _nums(piece))
                continue
            sents.append((piece, _nums(piece)))
        pending: list[str] = []
        for sentence, nums in sents:
            if nums:
                out.extend((p, list(nums), False) for p in pending)
                pending = []
                out.append((sentence, nums, True))
            else:
                pending.append(sentence)
        out.extend((p, [], False) for p in pending)
    return out


def _nums(piece: str) -> list[int]:
    found: list[int] = []
    for m in _MARKER.finditer(piece):
        for x in re.split(r"\s*[,;]\s*", m.group(1)):
            if int(x) not in found:
                found.append(int(x))
    return found


@dataclass
class SentenceScore:
    text: str
    cited: list[int]
    supported: bool
    lcs: float
    numbers_ok: bool
    precise: list[int] = field(default_factory=list)  # the cited numbers whose links are precise

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "cited": self.cited, "supported": self.supported, "lcs": round(self.lcs, 3),
                "numbers_ok": self.numbers_ok, "precise": self.precise}


@dataclass
class CitationScores:
    sentences: list[SentenceScore]
    links: int
    precise_links: int

    @property
    def recall(self) -> float | None:
        if not self.sentences:
            return None
        return sum(s.supported for s in self.sentences) / len(self.sentences)

    @property
    def precision(self) -> float | None:
        return self.precise_links / self.links if self.links else None


def score_citations(text: str, quotes_by_n: Mapping[int, str]) -> CitationScores:
    """ALCE citation recall and precision of one answer, with the eval's own support judgement."""
    sentences: list[SentenceScore] = []
    links = precise_links = 0
    for sentence, cited, _own in split_sentences(text):
        if is_not_covered(sentence, cited):
            continue  # "The articles do not say: ..." states an absence; there is nothing to cite
        quotes = [quotes_by_n[n] for n in cited if n in quotes_by_n]
        claim = strip_annotations(sentence, quotes)
        lcs, nums = support(claim, quotes) if quotes else (0.0, False)
        ok = bool(quotes) and nums and lcs >= SUPPORT_LCS
        precise: list[int] = []
        for n in cited:
            links += 1
            if n not in quotes_by_n:
                continue
            alone = supports(sentence, [quotes_by_n[n]])
            others = [quotes_by_n[m] for m in cited if m != n and m in quotes_by_n]
            needed = ok and len(cited) > 1 and not supports(sentence, others)
            if alone or needed:
                precise.append(n)
                precise_links += 1
        sentences.append(SentenceScore(claim, cited, ok, lcs, nums, precise))
    return CitationScores(sentences, links, precise_links)


def fabricated_citations(text: str, citations: Sequence[Any], seeds: Mapping[str, str]) -> list[str]:
    """Why each fabricated citation is fabricated (empty when none). ``seeds`` maps file name → original text."""
    problems = []
    for c in citations:
        if c.source not in seeds:
            problems.append(f"[{c.n}] cites {c.source!r}, which is not a seed file")
        elif seeds[c.source][c.start : c.end] != c.quote:
            problems.append(f"[{c.n}] {c.source}[{c.start}:{c.end}] is not its quote")
    known = {c.n for c in citations}
    for n in sorted({n for m in _MARKER.finditer(text) for n in _nums(m.group(0))} - known):
        problems.append(f"[{n}] appears in the text but no citation has that number")
    return problems


def abstention_violation(text: str, citations: Sequence[Any], abstained: bool) -> bool:
    """True when an abstained answer still carries a citation or an ``[n]`` marker."""
    return bool(abstained and (citations or _MARKER.search(text)))


def _contains(haystack: str, variant: str) -> bool:
    v = normalise(variant)
    if not v:
        return False
    pattern = re.escape(v)
    if v[0].isdigit():
        pattern = r"(?<!\d)" + pattern
    if v[-1].isdigit():
        pattern += r"(?!\d)"
    return re.search(pattern, haystack) is not None


def key_fact_recall(text: str, key_facts: Sequence[Sequence[str]]) -> float | None:
    """Share of key facts with at least one variant in ``text`` (None when the item has no key facts)."""
    if not key_facts:
        return None
    hay = normalise(text)
    return sum(any(_contains(hay, v) for v in fact) for fact in key_facts) / len(key_facts)


def retrieval_scores(gold_sources: Iterable[str], retrieved_sources: Sequence[str], ks=(1, 3, 5)) -> dict[str, float]:
    gold = set(gold_sources)
    out: dict[str, float] = {}
    for k in ks:
        out[f"hit_at_{k}"] = float(any(s in gold for s in retrieved_sources[:k]))
    rank = next((i for i, s in enumerate(retrieved_sources, 1) if s in gold), None)
    out["mrr"] = 1.0 / rank if rank else 0.0
    k = max(ks)
    out[f"source_recall_at_{k}"] = len(gold & set(retrieved_sources[:k])) / len(gold) if gold else 0.0
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank-interpolated percentile (numpy's default 'linear'); None for no values."""
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)
