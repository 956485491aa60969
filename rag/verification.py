"""The verification stage: what of a model draft survives, and whether it beats the extractive answer.

Every sentence is checked against a span of the passages and re-cited or dropped (:func:`rag.citations.enforce`).
A verified draft is then kept unless it is worse than the extractive answer on one stated criterion
(:func:`worse_than_extractive`); no other rule throws a verified answer away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .citations import drop_unfinished, enforce, strip_markers
from .compose import answer_shape, article_list, compose_answer
from .drafting import Draft
from .evidence import Evidence, has_answer_type
from .lexicon import tokenize
from .types import Citation, Passage

__all__ = ["Verified", "verify_draft", "worse_than_extractive"]


@dataclass
class Verified:
    text: str
    citations: list[Citation] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0
    recited: int = 0
    rejected: str | None = None  # why the verified draft lost to the extractive answer


def verify_draft(draft: Draft, passages: list[Passage], original: Callable[[str], str],
                 similarity: Callable[[list[tuple[str, str]]], list[float]], evidence: Evidence, *,
                 extractive_fallback: bool = True) -> Verified:
    """``extractive_fallback`` (auto mode): judge the verified draft against the extractive answer. Without one
    (llm mode) the only test left is the kind of answer: a draft without the asked value is no answer."""
    checked = drop_unfinished(draft.text) if draft.cut_at_token_limit else draft.text
    enforced = enforce(checked, passages, original, similarity)
    out = Verified(enforced.text, enforced.citations, enforced.kept, len(enforced.dropped), enforced.recited)
    if out.text:
        info = evidence.info
        reason = (worse_than_extractive(out.text, evidence, citations=out.citations) if extractive_fallback else
                  None if info is None or has_answer_type(out.text, info.wants, info) else
                  f"verified draft gives no {info.wants}")
        if reason:
            out.text, out.citations, out.rejected = "", [], reason
    return out


def worse_than_extractive(text: str, evidence: Evidence, min_new_terms: int = 2,
                          citations: list[Citation] | None = None, min_share: float = 0.4) -> str | None:
    """Why a verified draft is worse than the extractive answer, or None when it is not.

    The extractive answer always quotes, first, a sentence that qualified as the answer (the evidence check's
    names, year, relation and value tests), so it holds a value of the asked kind and says something the question
    does not. A draft is worse when it lacks any of these: its first sentence is verified against a span that did
    not qualify, or that scores more than 0.1 below the best one (true, but about something else: "Which
    pipeline…?" answered with another pipeline); it keeps
    under 40 % of what that qualifying sentence adds to the question's words (the sentence it rests on says the
    answer, the draft talks around it: "the official stressed support" for "surge money, munitions and
    mobilization"); for a
    question that asks for a kind of value (a date, a number, a person, ...), it gives none; or it only restates
    the question (fewer than two content words the question does not have); or, where the extractive answer is
    a list the article sets out (a header and its items), it leaves out an item (neither cites it nor keeps 40 %
    of what it adds to the question's words); for a question across articles ("across the articles", "compare"),
    it cites fewer of the articles than the extractive answer does."""
    info = evidence.info
    asked = set(tokenize(info.text if info is not None else ""))
    words = set(tokenize(strip_markers(text)))
    items = article_list(evidence) if citations is not None else []
    cited = _qualifying_span(citations[0], evidence) if citations else None
    if cited is None and citations:  # an item of the list the extractive answer shows
        cited = next((sp.text for sp in items if _overlap(sp, citations[0])), None)
    if citations is not None and evidence.qualifying and cited is None:
        return "verified draft's first sentence rests on no sentence the extractive answer would show"
    if cited is not None and not _said(cited, words, asked, min_share):
        return "verified draft leaves out most of what its answering sentence adds to the question"
    if items:
        missed = [sp for sp in items if not any(_overlap(sp, c) for c in citations)
                  and not _said(sp.text, words, asked, min_share)]
        if missed:
            return f"verified draft leaves out {len(missed)} of the {len(items)} items the article lists"
    if citations is not None and info is not None and answer_shape(info).kind == "across":
        sources = {c.source for c in compose_answer(evidence)[1]}
        left_out = sources - {c.source for c in citations}
        if len(sources) > 1 and left_out:
            return f"verified draft leaves out {len(left_out)} of the {len(sources)} articles the extractive answer draws on"
    if info is not None and not has_answer_type(text, info.wants, info):
        return f"verified draft gives no {info.wants}"
    if len(words - asked) < min_new_terms:
        return "verified draft only restates the question"
    return None


def _overlap(sp, citation: Citation) -> bool:
    return sp.source == citation.source and sp.start < citation.end and citation.start < sp.end


def _said(span_text: str, words: set[str], asked: set[str], min_share: float) -> bool:
    """Whether ``words`` hold at least ``min_share`` of what ``span_text`` adds to the question's words."""
    terms = set(tokenize(span_text)) - asked
    return not terms or len(terms & words) / len(terms) >= min_share


def _qualifying_span(citation: Citation, evidence: Evidence, margin: float = 0.1) -> str | None:
    """The text of the best qualifying candidate the cited span overlaps, among those that score within
    ``margin`` of the best (the ones the extractive answer would show), or None."""
    top = evidence.qualifying[0][0] if evidence.qualifying else 0.0
    return next((sp.text for score, sp in evidence.qualifying if score >= top - margin and _overlap(sp, citation)),
                None)
