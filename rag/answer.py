"""From retrieved passages to an answer: evidence check (abstain or not), the LLM prompt, and the extractive
answer built from the best supporting sentences when the model's own draft doesn't survive verification."""

from __future__ import annotations

import re

import numpy as np

from .citations import Span, attach_marker, numbers_in
from .evidence import Evidence, assess_evidence, has_answer_type
from .prompts import load_prompt, render
from .question import QuestionInfo, analyse_question
from .retrieval import tokenize
from .types import Citation, Passage

__all__ = ["QuestionInfo", "analyse_question", "Evidence", "assess_evidence", "build_messages", "extractive_answer",
           "abstention_text", "has_answer_type", "asks_across_articles"]


def adds_information(text: str, question: str, min_new_terms: int = 2) -> bool:
    """Whether an answer says something the question did not already say (not "X calls it what X calls it")."""
    from .citations import strip_markers

    asked = set(tokenize(question))
    return len(set(tokenize(strip_markers(text))) - asked) >= min_new_terms


def covers_best_evidence(text: str, evidence: "Evidence", share: float = 0.6) -> bool:
    """Whether a (verified) model answer keeps what the best qualifying sentence adds to the question: its
    numbers, and most of its other new terms. A true but beside-the-point sentence is not an answer."""
    from .citations import strip_markers

    if not evidence.qualifying or evidence.info is None:
        return True
    best = evidence.qualifying[0][1].text
    asked = set(tokenize(evidence.info.text))
    answer_terms = set(tokenize(best)) - asked
    said = set(tokenize(strip_markers(text)))
    if not numbers_in(best) - numbers_in(evidence.info.text) <= numbers_in(text) | numbers_in(evidence.info.text):
        return False
    return not answer_terms or len(answer_terms & said) / len(answer_terms) >= share


_MULTI = re.compile(r"\b(articles|different|reports|across|each|both|compare|sources|and (?:what|how|who|when|where|which|done))\b",
                    re.IGNORECASE)


def asks_across_articles(question: str) -> bool:
    """Whether a question asks across articles ("according to the different reports", "compare", "both")."""
    return _MULTI.search(question) is not None


def split_into_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[A-Z“\"])", text.strip()) if s]


_TYPED_ANSWERS = ("number", "date", "money", "duration")


def extractive_answer(evidence: Evidence, *, max_sentences: int = 4, ratio: float = 0.65) -> tuple[str, list[Citation]]:
    """The best qualifying sentence, plus up to two more near-best ones (for questions that ask across articles,
    the best qualifying sentence of each other article first), each quoted verbatim and cited to its own span."""
    first_score, first = evidence.qualifying[0]
    picked: list[Span] = [first]

    def overlaps(sp: Span) -> bool:
        return any(sp.source == p.source and not (sp.end <= p.start or sp.start >= p.end) for p in picked)

    def states(sp: Span) -> bool:  # never a headline or a question as an answer sentence
        text = " ".join(sp.text.split())
        return not text.rstrip("”\"’' ").endswith("?") and text != " ".join((sp.title or "").split())

    if evidence.info and asks_across_articles(evidence.info.text):
        for score, sp in evidence.ranked:
            if len(picked) >= max_sentences or score < first_score * 0.6:
                break
            if not has_answer_type(sp.text, evidence.info.wants, evidence.info):
                continue
            if all(sp.source != p.source for p in picked) and not overlaps(sp) and states(sp):
                picked.append(sp)
    for score, sp in evidence.ranked:
        if len(picked) >= max_sentences or score < first_score * ratio:
            break
        # more sentences only about the same subject (a question about Town007 gets nothing about Town017), and
        # for "how many" / "when" / "how much" / "how long" only those that give that kind of answer
        typed = evidence.info is None or evidence.info.wants not in _TYPED_ANSWERS or has_answer_type(
            sp.text, evidence.info.wants, evidence.info)
        if typed and not overlaps(sp) and states(sp) and (sp.source, sp.start, sp.end) in evidence.named:
            picked.append(sp)
    parts, citations = [], []
    for n, sp in enumerate(picked, 1):
        citations.append(Citation(n, sp.source, sp.title, sp.chunk_id, sp.text, sp.start, sp.end, sp.date))
        parts.append(attach_marker(" ".join(sp.text.split()), n))
    return " ".join(parts), citations


def _short_title(title: str, words: int = 8) -> str:
    parts = title.replace("…", "").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def build_messages(question: str, passages: list[Passage], focus: list[Span] | None = None) -> list[tuple[str, str]]:
    """The prompt. With ``focus`` (the best-ranked sentences and sentence pairs) each passage shows only the
    sentences those cover, each once, in file order; a sentence already shown under an earlier passage (chunks
    overlap) is not repeated. A small model reads ~250 tokens instead of ~1,000, answers sooner and copies more
    faithfully. Passage numbers stay those of ``passages``: that is what the model's [n] refers to."""
    shown: set[tuple[str, int, int]] = set()
    blocks = []
    for i, p in enumerate(passages, 1):
        if focus is not None:
            mine = [sp for sp in focus if sp.chunk_id == p.id]
            sentences = []
            for s, e in p.chunk.sentences:
                cover = next((sp for sp in mine if sp.start <= s and e <= sp.end), None)
                if cover is not None and (p.source, s, e) not in shown:
                    shown.add((p.source, s, e))
                    sentences.append(cover.text[s - cover.start : e - cover.start])
            if not sentences:
                continue
            body = " ".join(" ".join(t.split()) for t in sentences)
        else:
            body = p.text
        body = body.replace("<", "‹").replace(">", "›")  # a passage cannot close its own tag
        title = _short_title(p.title).replace('"', "'").replace("<", "‹").replace(">", "›")
        date = f" date=\"{p.chunk.date}\"" if p.chunk.date else ""
        blocks.append(f"<passage n=\"{i}\" title=\"{title}\"{date}>\n{body}\n</passage>")
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
