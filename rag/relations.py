"""Whether a sentence states the same relations as the span it is checked against, not just the same words.

The lexical check in :mod:`rag.citations` accepts a sentence whose words are all in the span. Such a sentence can
still misstate the span; each way is read off spaCy's dependency parse of both texts:

- **fragment**: it stops mid-way ("... Nomsa Kh", "... on Second St.") or has no verb;
- **negation**: a denial added or dropped ("have signed" against "neither Russia nor the US has signed");
- **roles** (:mod:`rag.roles`): who did what to whom: subject and object swapped, two actors trading verbs, a verb
  given to another actor, a noun given another owner;
- **numbers** (:mod:`rag.number_relations`): which number belongs to what: another noun, another verb, another
  currency, a part dropped ("11 counts" for "nine of 11"), a bounded date stated as a point;
- **speaker**: who said or believes it. "Scholz said the talks were useful" against "..., Macron told reporters":
  the sentence's speaker (subject of a reporting verb, or "according to X") is not a speaker in the span.

``conflict(sentence, span)`` names the first mismatch, or returns None.
"""

from __future__ import annotations

import re

from . import number_relations as numbers
from . import roles
from .lexicon import DANGLING, NEGATIONS, SPEAKER_VERBS, fold
from .number_relations import counted
from .roles import SUBJECT, name_of
from .text import Analysis, analyse, name_matches

__all__ = ["conflict", "counted"]

# verbs of belief: "X believes ..." puts the claim in X's mouth as much as "X said ..."
_BELIEF_VERBS = frozenset({"believe", "think"})
_CHECKS = (numbers.anchor_order, roles.roles, roles.argument_order, roles.subject_swap, roles.actor,
           roles.possessive, numbers.counted_swap, numbers.binding, numbers.number_verb, numbers.amount_of, numbers.currency,
           numbers.partitive, numbers.record, numbers.date_bound)


def conflict(sentence: str, span: str) -> str | None:
    s, p = analyse(sentence), analyse(span)
    found = _fragment(s, span) or _negation(s, p)
    for check in _CHECKS:
        found = found or check(s, p)
    return found or _speaker(s, p)


def _fragment(s: Analysis, span: str) -> str | None:
    """A sentence that stops mid-way ("Net income for the quarter ended Sept.", "... Mission to") or has no verb,
    unless it is the span's own verbless line ("Revenue: $4.9bn")."""
    words = [t for t in s.tokens if t.pos not in ("PUNCT", "SPACE")]
    if not words:
        return "fragment: no words"
    if s.text.rstrip().endswith(("...", "…")) or words[-1].text.lower() in DANGLING or (
            words[-1].text.endswith(".") and len(words[-1].text) <= 5):
        return "fragment: the sentence stops mid-way"
    if _cut_word(s.text, span):
        return "fragment: the sentence stops inside a word"
    mine = " ".join(s.text.split()).rstrip(".")
    if any(mine == " ".join(line.split()).rstrip(".") for line in [span] + span.splitlines()):
        return None  # the span's own line, verbless or not ("Revenue: $4.9bn")
    if not any(t.pos in ("VERB", "AUX") for t in words):
        return "fragment: no verb"
    return None


def _cut_word(sentence: str, span: str) -> bool:
    """"... the long-serving councillor Nomsa Kh" against "... Nomsa Khumalo.": no closing punctuation, and the last
    word is only the start of a word of the span."""
    body = sentence.rstrip()
    if re.search(r"[.!?\"”’)\]]$", body):
        return False
    last = re.findall(r"[^\W\d_]+", body)
    if not last:
        return False
    w = re.escape(last[-1].lower())
    low = span.lower()
    return not re.search(rf"\b{w}\b", low) and re.search(rf"\b{w}\w", low) is not None


def _negation(s: Analysis, p: Analysis) -> str | None:
    """A denial added or dropped: the sentence negates a verb the span states plainly, or the reverse ("does
    change" against "does not change", "plans to restart" against "has no plans to restart")."""
    def negated_lemmas(a: Analysis) -> tuple[set[str], set[str]]:
        toks = a.tokens
        neg, plain = set(), set()
        for i, t in enumerate(toks):
            if t.pos not in ("VERB", "AUX", "NOUN", "ADJ"):
                continue
            denied = any(u.head == i and fold(u.text) in NEGATIONS for u in toks) or any(
                u.head == i and u.dep in SUBJECT and _denied_subject(a, j) for j, u in enumerate(toks))
            if t.lemma in ("be", "have", "do"):
                if denied:  # "are not ready": the complement is what is denied
                    neg.update(u.lemma for u in toks if u.head == i and u.dep in ("acomp", "attr", "xcomp"))
                continue
            (neg if denied else plain).add(t.lemma)
        return neg, plain

    s_neg, s_plain = negated_lemmas(s)
    p_neg, p_plain = negated_lemmas(p)
    flipped = (s_neg & p_plain) - p_neg or (s_plain & p_neg) - p_plain
    return f"negation: '{sorted(flipped)[0]}' is denied in one and stated in the other" if flipped else None


def _denied_subject(a: Analysis, j: int) -> bool:
    """"Neither Russia nor the US (has signed)", "No countries (have committed)": a subject that denies its verb."""
    return fold(a.tokens[j].text) in ("nobody", "none") or any(
        u.head == j and u.dep in ("preconj", "det") and fold(u.text) in ("neither", "no") for u in a.tokens)


def _speakers(a: Analysis) -> list[str]:
    out = []
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.lemma not in SPEAKER_VERBS | _BELIEF_VERBS:
            continue
        for j, u in enumerate(toks):
            if u.head == i and u.dep in SUBJECT and u.pos in ("PROPN", "NOUN"):
                out.append(name_of(a, j) if u.pos == "PROPN" else u.text)
            if t.lemma == "accord" and u.head == i and u.dep == "prep":  # "according to X"
                out += [name_of(a, k) for k, w in enumerate(toks) if w.head == j and w.dep == "pobj"]
    return out


def _speaker(s: Analysis, p: Analysis) -> str | None:
    theirs = _speakers(p)
    for who in _speakers(s):
        if theirs and not who[:1].isupper() and _only_quoted(who, p.text) and who not in theirs:
            return f"speaker: '{who}' is only inside the quote in the span, not who speaks"
        if not who[:1].isupper():
            continue  # "officials said": not a name to check
        if theirs and not any(name_matches(who, t) or name_matches(t, who) for t in theirs):
            return f"speaker: {who} is not who speaks in the span"
    return None


_QUOTED = re.compile(r"[\"“]([^\"“”]*)[\"”]")


def _only_quoted(word: str, text: str) -> bool:
    """Whether ``word`` occurs in ``text`` and only inside quotation marks: '"The court has ignored the snow,"
    said the residents' lawyer' has the court as what is said, never as who says it."""
    quoted = [m.span(1) for m in _QUOTED.finditer(text)]
    hits = [m.start() for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)]
    return bool(hits) and all(any(a <= h < b for a, b in quoted) for h in hits)



