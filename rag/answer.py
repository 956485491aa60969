"""The LLM's side of answering: the answer prompt built from the passages, the abstention text, and the
similarity function the verifier uses. The evidence check is :mod:`rag.evidence`; the extractive answer is
:mod:`rag.compose`."""

from __future__ import annotations

import numpy as np

from .citations import Span
from .prompts import load_prompt, render
from .types import Passage

__all__ = ["build_messages", "abstention_text", "cosine_pairs"]


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
