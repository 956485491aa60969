"""Per-answer metrics of an answer's form (issue 13 point 4): its length, its citations, whether its sentences
address the question, how close it is to the gold reference, and whether it quotes a headline or a question.

The faithfulness metrics (:mod:`evals.metrics`) reward an answer for every extra supported quote; these see the
cost: a pile of pasted quotes is long, cites much, drifts off the question and is far from the short reference.

``answer_words``
    Words of the answer text once its ``[n]`` markers are removed: whitespace-separated tokens holding a letter or
    a digit.
``reference_f1``
    SQuAD's token F1 between the answer and the gold ``reference``. Both are normalised as SQuAD does: ``[n]``
    markers removed, lowercase, punctuation removed, the articles a/an/the removed, split on whitespace.
``reference_rougeL``
    ROUGE-L F-measure (β = 1) on the same tokens: the longest common subsequence ``L`` of answer and reference,
    precision ``L / answer tokens``, recall ``L / reference tokens``, F = 2PR / (P + R).
``answer_relevance``
    The share of the answer's sentences that address the question. The question is read by the pipeline's own
    question analysis (:func:`rag.question.analyse_question`: interrogative syntax and spaCy's tags, no topic
    lists), so it holds for any article. A sentence (markers and date annotations removed) *addresses* the
    question when

    1. the question has relation words (the lemmas of what it asks about, not its names: "score", "goal" in
       "Who scored the winning goal for Harbour City?") and one of them is among the sentence's lemmas (allowing
       derivation: "resign" ~ "resignation", :func:`rag.question.term_matches`); or
    2. the question has none ("When is the Super Bowl?", "What did Scholz say?") and the sentence names one of
       the question's names (when it has any) and, for a question that asks for a date, number, amount, share,
       duration, person or place, holds a value of that kind the question did not give
       (:func:`rag.evidence.has_answer_type`); or
    3. the question asks for a date, number, amount, share or duration, and the sentence names one of the
       question's names (when it has any) and holds a value of that kind ("Blinken discussed ... on January 3"
       for "On what date did Blinken speak with ...?"). People, places and other names are not enough here:
       nearly every news sentence holds one.

    A sentence that only shares the question's topic ("Harbour City will be without their captain ...") does not
    address it. A follow-up is read with the previous user turn (its relation words and names count too).
``quoted_headline_or_question``
    Answer sentences that are a headline (equal, markers removed and whitespace normalised, to the title of a
    citation they cite) or that end with "?". An answer sentence is never either.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from . import metrics as M

__all__ = ["answer_words", "reference_tokens", "token_f1", "rouge_l", "headline_or_question_sentences",
           "answer_relevance", "addresses", "read_question"]

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_VALUE_KINDS = ("date", "duration", "number", "money", "percent")  # kinds that a stray sentence rarely holds
_PUNCT = str.maketrans("", "", string.punctuation + "‘’“”–—…")


def _unmarked(text: str) -> str:
    return _MARKER.sub("", text or "")


def answer_words(text: str) -> int:
    return sum(1 for w in _unmarked(text).split() if re.search(r"[^\W_]", w))


def reference_tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation, after removing ``[n]`` markers."""
    text = M.normalise(_unmarked(text)).translate(_PUNCT)
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = reference_tokens(prediction), reference_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def rouge_l(prediction: str, reference: str) -> float:
    pred, ref = reference_tokens(prediction), reference_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    lcs = M.lcs_len(pred, ref)
    if not lcs:
        return 0.0
    p, r = lcs / len(pred), lcs / len(ref)
    return 2 * p * r / (p + r)


def _squash(text: str) -> str:
    return " ".join(_unmarked(text).split()).strip().rstrip(".").casefold()


def headline_or_question_sentences(text: str, citations: Sequence[Any]) -> list[str]:
    """The answer sentences that are the title of a citation they cite, or a question."""
    titles = {c.n: _squash(c.title or "") for c in citations}
    out = []
    for sentence, cited, _own in M.split_sentences(text):
        if M.is_not_covered(sentence, cited):
            continue  # the pipeline's own "The articles do not say: "<part of the question>?"", not a quoted question
        bare = _unmarked(sentence).strip().rstrip("\"'”’)")
        if bare.endswith("?") or any(titles.get(n) and titles[n] == _squash(sentence) for n in cited):
            out.append(sentence)
    return out


def read_question(question: str, history: Sequence[dict[str, Any]] | None = None):
    """The question's analysis, with a follow-up's previous user turn folded in: ``(info, relation, names)``."""
    from rag.question import analyse_question

    previous = next((t["content"] for t in reversed(history or []) if t.get("role") == "user"), None)
    info = analyse_question(question, previous)
    relation, names = list(info.relation), list(info.names)
    if previous:
        before = analyse_question(previous)
        relation += [r for r in before.relation if r not in relation]
        names += [n for n in before.names if n not in names]
    return info, relation, names


def addresses(sentence: str, info: Any, relation: Sequence[str], names: Sequence[str]) -> bool:
    """Whether one answer sentence addresses the question (the module docstring's rules 1 to 3)."""
    from rag.evidence import has_answer_type
    from rag.question import term_matches
    from rag.text import analyse, fold, name_matches

    tokens = analyse(sentence).tokens
    lemmas = {t.lemma for t in tokens if t.pos not in ("PUNCT", "SPACE")} | {fold(t.text) for t in tokens}
    if relation and any(term_matches(r, lemmas) for r in relation):
        return True
    if names and not any(name_matches(n, sentence) for n in names):
        return False
    if not relation:
        return not info.typed or has_answer_type(sentence, info.wants, info)
    return info.wants in _VALUE_KINDS and has_answer_type(sentence, info.wants, info)


def answer_relevance(question: str, text: str, citations: Sequence[Any] = (),
                     history: Sequence[dict[str, Any]] | None = None) -> float | None:
    """Share of the answer's sentences that address the question (None for an answer without sentences)."""
    quotes = {c.n: c.quote for c in citations}
    sentences = [M.strip_annotations(s, [quotes[n] for n in cited if n in quotes])
                 for s, cited, _own in M.split_sentences(text)]
    sentences = [s for s in sentences if re.search(r"[^\W_]", s)]
    if not sentences:
        return None
    info, relation, names = read_question(question, history)
    return sum(addresses(s, info, relation, names) for s in sentences) / len(sentences)
