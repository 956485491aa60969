"""What happened while answering one question: a typed record in place of a free-form metadata dict.

``Answer.trace`` holds it; ``Answer.metadata`` and ``Answer.to_dict()`` give ``trace.to_dict()``, the fields that
were set (``None`` ones are left out), so logs and eval results stay flat JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["AnswerTrace"]


@dataclass
class AnswerTrace:
    answer_mode: str = ""                    # auto | llm | extractive
    backend: str = ""                        # "llama-cpp", "openai-chat", "extractive", ...
    model: str = ""
    refusal: bool | None = None              # the request guard refused it (aimed at the system)
    rewritten_question: str | None = None    # the standalone question retrieval used
    rewrite_method: str | None = None        # none | llm | deterministic | ordinal
    rewrite_fallback_reason: str | None = None
    passages_per_file_max: int | None = None  # set for questions asked across articles
    retrieval_ms: float | None = None
    evidence_ms: float | None = None
    abstain_reason: str | None = None
    missing_terms: list[str] | None = None   # names/numbers of the question no passage mentions
    answer_shape: str | None = None          # single | yesno | list | parts | across
    first_token_ms: float | None = None
    llm_ms: float | None = None
    draft: str | None = None                 # the model's raw draft (unverified)
    draft_cut_at_token_limit: bool | None = None
    sentences_kept: int | None = None
    sentences_dropped: int | None = None
    sentences_recited: int | None = None     # draft sentences re-cited to a passage other than the one they named
    llm_rejected: str | None = None          # why a verified draft lost to the extractive answer
    extractive: bool | None = None           # the answer was built from quoted spans, not the model's sentences
    total_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AnswerTrace":
        """The trace back from ``to_dict()``; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})
