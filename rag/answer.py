"""From retrieved passages to an answer: evidence check (abstain or not), the LLM prompt, and the extractive
answer built from the best supporting sentences when the model's own draft doesn't survive verification."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .citations import Span, attach_marker, candidate_spans, names_in, numbers_in
from .prompts import load_prompt, render
from .retrieval import tokenize
from .types import Citation, Passage

__all__ = ["QuestionInfo", "analyse_question", "Evidence", "assess_evidence", "build_messages", "extractive_answer",
           "is_refusal_request", "abstention_text", "has_answer_type"]

_QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how many much long did does do is are was were will would can could
    should article articles mention mentioned report reported passage passages source text state stated give
    according describe described happen happened name named kind type""".split()
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|"
    r"(?:this|next|last)\s+(?:week|month|year)|\d{4})\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|"
    r"half|third|quarter|million|billion)\b",
    re.IGNORECASE,
)
_INJECTION = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instruction|rule|prompt|article|passage|context|above|previous)",
        r"\b(system|hidden|initial)\s+(prompt|message|instruction)",
        r"\b(reveal|print|show|repeat|output)\b.{0,30}\b(prompt|instructions)\b",
        r"\b(write|compose|generate|tell)\b.{0,30}\b(poem|song|story|joke|essay|haiku|limerick|code|script|recipe)\b",
        r"\b(pretend|act as|you are now|roleplay|jailbreak|developer mode|DAN)\b",
        r"\bwithout (citations?|sources?|citing)\b|\bdo not cite\b|\bdon't cite\b",
    )
]


@dataclass
class QuestionInfo:
    text: str
    terms: list[str]
    names: set[str]
    numbers: set[str]
    wants: str  # "date" | "number" | "any"


def analyse_question(question: str) -> QuestionInfo:
    q = question.strip()
    low = q.lower()
    if re.match(r"^\s*(when|what (date|day|month|year)|on what (date|day)|which (date|day))\b", low) or re.search(
        r"\b(what|which) (date|day)\b", low
    ):
        wants = "date"
    elif re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|amount)\b|\bhow large\b", low):
        wants = "number"
    else:
        wants = "any"
    terms = [t for t in tokenize(q) if t not in _QUESTION_WORDS]
    first_word_cap = q.split()[0] if q.split() else ""
    names = {n for n in names_in(q) if n != first_word_cap.lower() and n not in _QUESTION_WORDS}
    return QuestionInfo(q, terms, names, numbers_in(q), wants)


def has_answer_type(text: str, wants: str) -> bool:
    if wants == "date":
        return bool(_DATE_WORDS.search(text))
    if wants == "number":
        return bool(_NUMBER_WORDS.search(text))
    return True


def is_refusal_request(question: str) -> bool:
    """A request to break the rules or do something other than answer from the articles."""
    return any(p.search(question) for p in _INJECTION)


@dataclass
class Evidence:
    ok: bool
    reason: str
    ranked: list[tuple[float, Span]] = field(default_factory=list)  # best sentences first
    info: QuestionInfo | None = None
    missing: list[str] = field(default_factory=list)


def _idf(spans: list[Span]) -> dict[str, float]:
    df: dict[str, int] = {}
    for sp in spans:
        for t in set(tokenize(sp.text)):
            df[t] = df.get(t, 0) + 1
    n = max(1, len(spans))
    return {t: math.log(1 + n / d) for t, d in df.items()}


def assess_evidence(question: str, passages: list[Passage], original, embed, *, min_score: float = 0.42,
                    min_coverage: float = 0.5) -> Evidence:
    """Rank every sentence of the passages for this question and decide whether the articles answer it.

    ``embed(texts) -> np.ndarray`` gives L2-normalised vectors."""
    info = analyse_question(question)
    if not passages:
        return Evidence(False, "nothing is indexed that matches", info=info)
    singles = [sp for group in candidate_spans(passages, original, pairs=False) for sp in group if sp.text.strip()]
    if not singles:
        return Evidence(False, "the retrieved passages hold no sentences", info=info)
    context_text = " ".join(p.text for p in passages).lower().replace("’", "'")
    context_terms = set(tokenize(context_text))
    missing = sorted(n for n in info.names if n not in context_text)
    missing += sorted(x for x in info.numbers if x not in numbers_in(context_text))
    if missing:
        return Evidence(False, "the question names things the articles don't mention", info=info, missing=missing)
    if info.terms:
        covered = sum(1 for t in info.terms if t in context_terms) / len(info.terms)
        if covered < min_coverage:
            missing = [t for t in info.terms if t not in context_terms]
            return Evidence(False, f"only {covered:.0%} of the question's key terms occur in the articles", info=info,
                            missing=missing)
    vectors = embed([question] + [sp.text for sp in singles])
    qv, sv = vectors[0], vectors[1:]
    dense = sv @ qv
    idf = _idf(singles)
    q_weight = sum(idf.get(t, 1.0) for t in set(info.terms)) or 1.0
    ranked = []
    for sp, d in zip(singles, dense):
        sp_terms = set(tokenize(sp.text))
        lex = sum(idf.get(t, 1.0) for t in set(info.terms) if t in sp_terms) / q_weight
        score = 0.55 * float(d) + 0.45 * lex
        if not has_answer_type(sp.text, info.wants):
            score -= 0.2
        score -= 0.01 * (sp.passage_rank - 1)
        if sp.end - sp.start > 350:
            score -= 0.05
        ranked.append((score, sp))
    ranked.sort(key=lambda x: -x[0])
    best_score, best = ranked[0]
    if best_score < min_score:
        return Evidence(False, f"no sentence answers it well enough (best score {best_score:.2f})", ranked, info)
    if not any(has_answer_type(sp.text, info.wants) for _, sp in ranked[:5]):
        return Evidence(False, f"no passage gives a {info.wants}", ranked, info)
    return Evidence(True, "", ranked, info)


def extractive_answer(evidence: Evidence, *, max_sentences: int = 2, ratio: float = 0.85) -> tuple[str, list[Citation]]:
    """The best one or two sentences, each quoted verbatim and cited to its own span."""
    top_score = evidence.ranked[0][0]
    picked: list[Span] = []
    for score, sp in evidence.ranked:
        if len(picked) >= max_sentences or score < top_score * ratio:
            break
        if any(not (sp.end <= p.start or sp.start >= p.end) and sp.source == p.source for p in picked):
            continue  # overlaps a span already chosen
        if any(sp.text.strip() == p.text.strip() for p in picked):
            continue
        picked.append(sp)
    parts, citations = [], []
    for n, sp in enumerate(picked, 1):
        citations.append(Citation(n, sp.source, sp.title, sp.chunk_id, sp.text, sp.start, sp.end, sp.date))
        parts.append(attach_marker(" ".join(sp.text.split()), n))
    return " ".join(parts), citations


def build_messages(question: str, passages: list[Passage]) -> list[tuple[str, str]]:
    blocks = []
    for i, p in enumerate(passages, 1):
        body = p.text.replace("<", "‹").replace(">", "›")  # a passage cannot close its own tag
        date = f" date=\"{p.chunk.date}\"" if p.chunk.date else ""
        blocks.append(f"<passage n=\"{i}\" title=\"{p.title}\"{date}>\n{body}\n</passage>")
    return [
        ("system", load_prompt("answer_system")),
        ("human", render("answer_user", passages="\n\n".join(blocks), question=question)),
    ]


def abstention_text(question: str, passages: list[Passage], reason: str = "") -> str:
    titles: list[str] = []
    for p in passages:
        if p.title and p.title not in titles:
            titles.append(p.title)
    coverage = "; ".join(f"“{t}”" for t in titles[:3]) or "nothing that matches this question"
    topic = "the answer to this question"
    return render("abstain", topic=topic, coverage=coverage)


def cosine_pairs(embed):
    """A similarity function for :func:`rag.citations.enforce` from an embedder."""

    def score(pairs: list[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        vecs = embed([t for pair in pairs for t in pair])
        return [float(np.dot(vecs[2 * i], vecs[2 * i + 1])) for i in range(len(pairs))]

    return score
