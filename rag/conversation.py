"""Follow-up questions: turn the last question plus the conversation into a standalone question.

The LLM rewrites (prompt ``prompts/condense.md``) only when the question needs context (pronouns, ellipsis).
A small model's rewrite is checked; when it is unusable (empty, off-topic, much longer than the input, or it
lost the question's own names) a deterministic rewrite is used instead: the question plus the names and key
terms of the last turn. Which one was used goes into the answer's metadata.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Any

from .lexicon import STOPWORDS, tokenize, years_in
from .text import capitalised_phrases, names_in
from .types import Answer

__all__ = ["normalise_history", "needs_context", "deterministic_rewrite", "check_rewrite", "resolve_ordinal", "Rewrite"]

# Words that point back into the conversation: pronouns, demonstratives, "the same", and openings that continue
# the previous question ("And the second half?", "What about Tuesday?"). Grammar words, no topic nouns.
_PERSONAL = re.compile(r"\b(he|she|it|its|they|them|their|theirs|him|his|her|hers|himself|herself|itself|themselves)\b",
                       re.IGNORECASE)
_POINTING = re.compile(r"\b(that|this|those|these|there|then|the same|the other|the former|the latter|the second|"
                       r"the first|the rest|else|too|as well)\b", re.IGNORECASE)
_ELLIPSIS = re.compile(r"^\s*(and|what about|how about|also|who else|what else|anything else|then|same|but|so|or)\b",
                       re.IGNORECASE)


@dataclass
class Rewrite:
    question: str
    method: str  # "none" | "llm" | "deterministic" | "ordinal"
    reason: str = ""


def normalise_history(history: list[Any] | None) -> list[dict[str, str]]:
    """Accept OpenAI/Gradio messages (dicts), (user, assistant) pairs, or previous Answers."""
    out: list[dict[str, str]] = []
    for item in history or []:
        if isinstance(item, Answer):
            if item.question:
                out.append({"role": "user", "content": item.question})
            out.append({"role": "assistant", "content": item.text})
        elif isinstance(item, dict):
            content = item.get("content", "")
            if isinstance(content, list):  # Gradio 6 may send [{"type": "text", "text": ...}]
                content = " ".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
            out.append({"role": str(item.get("role", "user")), "content": str(content or "")})
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            out.append({"role": "user", "content": str(item[0] or "")})
            out.append({"role": "assistant", "content": str(item[1] or "")})
    return [m for m in out if m["content"].strip() and m["role"] in ("user", "assistant")]


def needs_context(question: str) -> bool:
    """Whether a question only makes sense with the conversation before it: it opens by continuing the last one
    ("And the runner-up?", "What about Tuesday?"), is a fragment, refers back with a pronoun ("How much did they
    pay?", "who said that?"), or names nothing at all ("How long did the trial last?")."""
    from .question import analyse_question

    q = question.strip()
    if _ELLIPSIS.match(q) or len(q.split()) <= 3:
        return True
    names = analyse_question(q).names
    if _PERSONAL.search(q):
        return True
    from .text import analyse

    toks = analyse(q).tokens
    if any(t.text.lower() in ("that", "this", "those", "these") and t.pos == "PRON"
           and (i + 1 == len(toks) or toks[i + 1].pos == "PUNCT") for i, t in enumerate(toks)):
        return True  # "What did NATO say about that?": a demonstrative standing for something said before
    if _POINTING.search(q) and not names:
        return True
    return not names


def _last_turn_terms(history: list[dict[str, str]]) -> list[str]:
    last_user = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
    last_answer = next((m["content"] for m in reversed(history) if m["role"] == "assistant"), "")
    last_answer = re.sub(r"\[\d+\]", "", last_answer)
    terms: list[str] = []
    for text in (last_user, last_answer):
        for phrase in capitalised_phrases(text):
            if phrase.lower() in STOPWORDS or phrase.lower() in ("according", "about", "yes", "no"):
                continue
            if phrase and phrase not in terms:
                terms.append(phrase)
    for word in re.findall(r"[^\W_][\w'’-]*", last_user):  # the words as written: the rewrite is read as English
        t = word.lower()
        if tokenize(t) and t not in " ".join(terms).lower() and t not in terms:
            terms.append(t)
    return terms[:12]


# "the second one", "the latter" standing for one of the names the last answer gave, where a verb or the end of the
# question follows ("How old is the second one?", "What did the latter say?"), not "the second half"
_ORDINAL_REF = re.compile(r"\bthe (first|second|third|last|former|latter)(?: one)?\b", re.IGNORECASE)
_ORDER = {"first": 0, "former": 0, "second": 1, "third": 2, "last": -1, "latter": -1}


def resolve_ordinal(question: str, history: list[dict[str, str]]) -> str:
    """``question`` with "the second one" / "the latter" replaced by that name of the last answer ("Connor Blaine and
    Ashley Pruitt-Rowe." → "How old is Ashley Pruitt-Rowe?"); unchanged when the last answer names fewer than two."""
    m = _ORDINAL_REF.search(question)
    if m and question[m.end():].strip(" ?.!,"):
        from .text import analyse

        after = next((t for t in analyse(question).tokens if t.start >= m.end()), None)
        if after is not None and after.pos not in ("VERB", "AUX", "PUNCT"):
            m = None  # "the second half", "the first goal": an ordinal of a noun, not a name
    last_answer = next((msg["content"] for msg in reversed(history) if msg["role"] == "assistant"), "")
    if not m or not last_answer:
        return question
    names = list(dict.fromkeys(p for p in capitalised_phrases(re.sub(r"\[\d+\]", "", last_answer)) if len(p.split()) > 1))
    at = _ORDER[m.group(1).lower()]
    if len(names) < 2 or at >= len(names):
        return question
    return question[:m.start()] + names[at] + question[m.end():]


_MONTHS = {m.lower() for m in calendar.month_name[1:] + calendar.month_abbr[1:]}


def deterministic_rewrite(question: str, history: list[dict[str, str]]) -> str:
    terms = _last_turn_terms(history)
    if years_in(question):  # "And in the 2024 one?": the last turn's year and month are what it replaces
        terms = [t for t in terms if not years_in(t) and t.lower().rstrip(".") not in _MONTHS]
    if not terms:
        return question.strip()
    return f"{question.strip()} ({', '.join(terms)})"


def check_rewrite(candidate: str, question: str, history: list[dict[str, str]]) -> str:
    """Why an LLM rewrite is unusable, or "" when it is fine."""
    c = candidate.strip().strip('"').strip()
    if not c:
        return "empty"
    if len(c) > 3 * len(question) + 120:
        return "much longer than the question"
    if "\n" in c.strip():
        return "more than one line"
    if re.search(r"\[\d+\]", c) or not (c.endswith("?") or re.match(r"(?i)(what|who|when|where|why|how|which|is|are|"
                                                                  r"was|were|did|does|do|can|could|will|would)\b", c)):
        return "not a question"
    own_terms = set(tokenize(question))
    if own_terms and len(own_terms & set(tokenize(c))) / len(own_terms) < 0.5:
        return "dropped what the question asks"
    q_names = names_in(question) - {question.split()[0].lower()}
    if not q_names <= names_in(c) | {w.lower() for w in c.split()}:
        return "lost the question's own names"
    context_terms = set(tokenize(question)) | {t for m in history for t in tokenize(m["content"])}
    if not set(tokenize(c)) & context_terms:
        return "off-topic"
    new_terms = set(tokenize(c)) - context_terms
    if len(new_terms) > 3:
        return "introduces terms found neither in the question nor the conversation"
    return ""
