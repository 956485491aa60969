"""The optional LLM judge: faithfulness and correctness, each 0–1, per answer.

It runs only when an OpenAI-compatible endpoint is configured — ``OPENAI_API_KEY`` set (and ``OPENAI_BASE_URL``
for a non-OpenAI server) — *and* it is asked for (``rag eval --judge`` or ``RAG_EVAL_JUDGE=1``). Otherwise the
report says "LLM judge: not run (no endpoint configured)". The judge model is ``RAG_EVAL_JUDGE_MODEL``
(default: ``RAG_OPENAI_MODEL``). The judge prompt is ``evals/judge_prompt.md``.

- faithfulness: is every statement of the answer backed by the quotes it cites (1 = fully, 0 = not at all)?
- correctness: does the answer give the reference answer's facts (for an unanswerable question: does it decline)?

The judge only adds columns to the report; the gate does not use it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["Judge", "make_judge", "parse_scores", "NOT_RUN"]

PROMPT = Path(__file__).resolve().parent / "judge_prompt.md"
NOT_RUN = "LLM judge: not run (no endpoint configured)"


def parse_scores(reply: str) -> dict[str, float]:
    """``{"faithfulness": x, "correctness": y}`` from the judge's reply (the first JSON object in it)."""
    m = re.search(r"\{.*?\}", reply, re.DOTALL)
    if not m:
        raise ValueError(f"no JSON object in the judge's reply: {reply[:200]!r}")
    data = json.loads(m.group(0))
    out = {}
    for key in ("faithfulness", "correctness"):
        value = float(data[key])
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{key}={value} is outside 0..1")
        out[f"judge_{key}"] = value
    return out


class Judge:
    """Scores one answer with a chat model (anything with ``invoke(messages).content``)."""

    def __init__(self, chat_model: Any, name: str = ""):
        self.chat_model = chat_model
        self.name = name or str(getattr(chat_model, "model_name", "") or type(chat_model).__name__)
        self.template = PROMPT.read_text(encoding="utf-8")

    def prompt(self, item: dict[str, Any], answer: Any) -> str:
        quotes = "\n".join(f"[{c.n}] {c.quote}" for c in answer.citations) or "(no citations)"
        history = "\n".join(f"{t['role']}: {t['content']}" for t in item.get("history") or []) or "(none)"
        values = {"history": history, "question": item["user_input"], "reference": item["reference"],
                  "answer": answer.text, "quotes": quotes,
                  "abstained": "yes" if answer.abstained else "no"}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), self.template)

    def score(self, item: dict[str, Any], answer: Any) -> dict[str, float]:
        reply = self.chat_model.invoke([("human", self.prompt(item, answer))])
        return parse_scores(str(reply.content))


def make_judge(settings: Any, requested: bool = False, env: dict[str, str] | None = None) -> tuple[Judge | None, str]:
    """(judge or None, the sentence the report prints about it)."""
    env = dict(os.environ if env is None else env)
    wanted = requested or env.get("RAG_EVAL_JUDGE", "").strip().lower() in ("1", "true", "yes", "on")
    key = env.get("OPENAI_API_KEY") or getattr(settings, "openai_api_key", "")
    if not key:
        return None, NOT_RUN
    if not wanted:
        return None, "LLM judge: not run (endpoint configured; pass --judge or set RAG_EVAL_JUDGE=1)"
    from langchain_openai import ChatOpenAI

    model = env.get("RAG_EVAL_JUDGE_MODEL") or getattr(settings, "openai_model", "gpt-4o-mini")
    kwargs: dict[str, Any] = dict(model=model, api_key=key, temperature=0, max_tokens=200,
                                  timeout=getattr(settings, "llm_timeout", 60.0), max_retries=2)
    base = env.get("OPENAI_BASE_URL") or getattr(settings, "openai_base_url", "")
    if base:
        kwargs["base_url"] = base
    where = base or "api.openai.com"
    return Judge(ChatOpenAI(**kwargs), model), f"LLM judge: run with `{model}` at {where}"
