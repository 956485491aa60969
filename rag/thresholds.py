"""The fitted thresholds of the evidence check (rag.evidence), in one place. Fitted on the non-seed gold set
(evals/news, `python -m evals.fit`) on its parts a and b, checked on the held-out part c and on the seeds."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Thresholds", "THRESHOLDS"]


@dataclass(frozen=True)
class Thresholds:
    """What a candidate must reach to qualify, and how it is scored (see rag.evidence)."""
    w_dense: float = 0.6          # score = w_dense * cosine + (1 - w_dense) * relation coverage - penalties
    min_score: float = 0.40       # the best qualifying candidate must score at least this
    min_relation: float = 0.2     # IDF-weighted share of the question's relation words in a typed candidate
    min_relation_any: float = 0.25  # the same for untyped questions (why/how/what/yes-no): no value check there
    dense_alone: float = 0.65     # a candidate this similar to the question qualifies without relation words
    min_dense: float = 0.1       # cosine floor for any qualifying candidate
    near_chars: int = 600         # how far before a sentence its names may stand
    focus_bonus: float = 0.05     # the counted noun of "how many X" is in the candidate
    predicate_bonus: float = 0.0  # the question's main verb is in the candidate
    untyped_needs_predicate: bool = True  # why/how/yes-no/what questions need their main verb in the candidate
    who_needs_predicate: bool = False  # who/which questions need their main verb in the candidate
    predicate_dense: float = 0.8  # ... unless the candidate is at least this similar to the question
    withheld_margin: float = 0.0  # a withholding sentence wins over an answer that scores less than this above it
    no_headlines: bool = True  # a headline is never the answer sentence (it is a summary, often cut short)
    who_predicate_somewhere: bool = False  # who/which: abstain when no retrieved sentence has the main verb
    needs_focus: bool = True      # "how many buildings": a sentence without buildings does not qualify
    relation_without_predicate: float = 0.7  # untyped: the main verb may be paraphrased if this much else matches
    part_dense: float = 0.5       # one part of a two-part question answered alone: cosine floor of its sentence
    label_bonus: float = 0.3      # a "label: value" line whose label is the asked noun or verb ("Turnout: 41.3%");
                                  # 0.2 -> 0.3 once such a row counts as the focus: news a+b key facts 0.659 -> 0.667
    reason_bonus: float = 0.2  # "why": the candidate gives a reason in so many words ("because", "due to");
                               # news a+b, c, distractors and seeds unchanged at 0-0.3; evals.fresh "Why was the
                               # election rerun?" took the lede over "ordered ... after it found that results ..."
    prefer_counts: bool = True    # "how many X": when a sentence counts X, those that only mention X do not answer


THRESHOLDS = Thresholds()
